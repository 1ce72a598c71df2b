/**
 * `npm start`: reads the configuration from the environment, starts listening, loads the model
 * (the embedded bundle unless MODEL_DIR is set), and on SIGTERM/SIGINT drains in-flight requests
 * before exiting.
 */
import { pino } from 'pino';
import { defaultModelDir, Unmask } from '@unmask/pipeline';
import { ConfigError, loadConfig, mediaLimitsOf, type Config } from './config.js';
import { buildServer } from './server.js';

async function main(): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`unmask api: ${error.message}\n`);
    return 2;
  }
  const logger = pino({ level: config.LOG_LEVEL, redact: ['req.headers.authorization'] });
  const loadStarted = performance.now();
  const loading = (async () => {
    const dir = config.MODEL_DIR ?? defaultModelDir();
    logger.info({ model_dir: dir }, 'loading model');
    return Unmask.load(dir, {
      ...(config.MAX_BATCH_SIZE ? { maxBatchSize: config.MAX_BATCH_SIZE } : {}),
      prefixCacheBytes: config.PREFIX_CACHE_BYTES,
      limits: mediaLimitsOf(config),
    });
  })();
  const server = await buildServer({ config, model: loading, logger });
  // A stray rejection is a bug to log, not a reason to drop every request in flight.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining in-flight requests');
    await server.drain();
    const unmask = server.services.model.unmask;
    if (unmask) await unmask.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  await server.app.listen({ port: config.PORT, host: config.HOST });
  try {
    const unmask = await server.ready;
    logger.info(
      { model: unmask.bundle.manifest.name, seconds: Math.round(performance.now() - loadStarted) / 1000 },
      'model loaded',
    );
  } catch (error) {
    logger.fatal({ err: error }, 'the model failed to load');
    process.stderr.write(
      `unmask api: the model failed to load: ${error instanceof Error ? error.message : String(error)} (set MODEL_DIR to a bundle folder)\n`,
    );
    await server.app.close();
    return 1;
  }
  return undefined as unknown as number;
}

main().then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`unmask api: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
