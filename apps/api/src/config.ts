/**
 * Server configuration from environment variables, validated with zod. Every variable is
 * optional; `loadConfig` names the variable and the problem when one is malformed.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const MiB = 1024 * 1024;
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const DEFAULT_DEMO_DIR = fileURLToPath(new URL('../../demo/dist', import.meta.url));

export const configSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** A bundle folder; default: the embedded model (models/default). */
  MODEL_DIR: z.string().min(1).optional(),
  /** When set, /v1/* requires `Authorization: Bearer <API_KEY>`. Set but empty is an error, not "off". */
  API_KEY: z.string().min(1, 'is set but empty: unset it to serve without a key').optional(),
  /** With API_KEY: `/metrics` needs the key too. */
  PROTECT_METRICS: flag.default(false),
  /** With API_KEY: `/docs` and `/openapi.json` need the key too. */
  PROTECT_DOCS: flag.default(false),
  /** Largest request body (JSON; multipart files have MEDIA_LIMIT_BYTES). */
  BODY_LIMIT_BYTES: int(1024, 1024 * MiB).default(8 * MiB),
  MEDIA_LIMIT_BYTES: int(1024, 1024 * MiB).default(20 * MiB),
  AUDIO_MAX_SECONDS: z.coerce.number().positive().max(3600).default(30),
  /** Images and sounds in one request (400 beyond), counted before any is decoded. */
  MAX_MEDIA_ITEMS: int(0, 1000).default(8),
  /** Characters in a request's prompt (all its text), checked before tokenizing. */
  MAX_PROMPT_CHARS: int(1, 100_000_000).default(100_000),
  /** Pixels of all the images of one request, read from their headers before any is decoded. */
  MAX_REQUEST_PIXELS: int(1, 10_000_000_000).default(64_000_000),
  /** Seconds of all the sounds of one request, read from their WAV headers before any is decoded. */
  MAX_REQUEST_AUDIO_SECONDS: z.coerce.number().positive().max(36_000).default(120),
  IMAGE_MAX_PIXELS: int(1, 1_000_000_000).default(40_000_000),
  /** Hosts whose http(s) image URLs are fetched; empty: only data: URLs. */
  IMAGE_URL_ALLOWLIST: list.default([]),
  /** `*`, a comma-separated list of origins, or `off`. */
  CORS_ORIGIN: z.string().default('*'),
  /** Rows of one batched forward pass; default: the bundle's `lm.max_batch_size`, else 8. */
  MAX_BATCH_SIZE: int(1, 256).optional(),
  /** Requests decoding at once (default: MAX_BATCH_SIZE, else 8). */
  MAX_CONCURRENT: int(1, 1024).optional(),
  /** Bytes of shared prompt prefixes (image and audio rows) kept across requests; 0 turns it off. */
  PREFIX_CACHE_BYTES: int(0, 2 ** 50).default(0),
  /** Requests waiting beyond MAX_CONCURRENT before 429. */
  QUEUE_SIZE: int(0, 100_000).default(64),
  /** Per-request deadline, queueing included. */
  REQUEST_TIMEOUT_MS: int(100, 3_600_000).default(60_000),
  /** How long SIGTERM waits for in-flight requests before cancelling them (after the grace period). */
  DRAIN_TIMEOUT_MS: int(0, 3_600_000).default(30_000),
  /** On SIGTERM, /readyz fails this long (requests still served) before the listener closes. */
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(5_000),
  /** The whole request, headers and body, must arrive within this (408 beyond): a trickled body is dropped. */
  HTTP_REQUEST_TIMEOUT_MS: int(1000, 3_600_000).default(30_000),
  /** A connection silent both ways this long is closed (default: REQUEST_TIMEOUT_MS + 30 s). */
  HTTP_IDLE_TIMEOUT_MS: int(1000, 7_200_000).optional(),
  /** A streamed event the client does not take within this ends its stream and frees its slot. */
  STREAM_WRITE_TIMEOUT_MS: int(100, 600_000).default(30_000),
  DEFAULT_MAX_TOKENS: int(1, 8192).default(32),
  /** Deepest nesting accepted in a JSON body. */
  MAX_JSON_DEPTH: int(4, 10_000).default(64),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The demo's built files, served at `/` when the folder exists. */
  DEMO_DIR: z.string().min(1).default(DEFAULT_DEMO_DIR),
});
export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads the configuration from `env` (process.env by default); throws ConfigError naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "unset", except API_KEY: an empty key must not silently turn auth off.
  const given = (k: string) => env[k] !== undefined && (env[k] !== '' || k === 'API_KEY');
  const known = Object.fromEntries(
    Object.keys(configSchema.shape)
      .filter(given)
      .map((k) => [k, env[k]]),
  );
  const parsed = configSchema.safeParse(known);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`environment variable ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
  }
  const config = parsed.data;
  if (config.HTTP_IDLE_TIMEOUT_MS !== undefined && config.HTTP_IDLE_TIMEOUT_MS <= config.REQUEST_TIMEOUT_MS)
    throw new ConfigError(
      `environment variable HTTP_IDLE_TIMEOUT_MS: ${config.HTTP_IDLE_TIMEOUT_MS} must exceed REQUEST_TIMEOUT_MS (${config.REQUEST_TIMEOUT_MS}), or a whole answer still decoding would be cut off`,
    );
  return config;
}

/** The pipeline's limits (per medium and per request) from the configuration. */
export function mediaLimitsOf(config: Config) {
  return {
    image: { maxBytes: config.MEDIA_LIMIT_BYTES, maxPixels: config.IMAGE_MAX_PIXELS },
    audio: { maxBytes: config.MEDIA_LIMIT_BYTES, maxSeconds: config.AUDIO_MAX_SECONDS },
    request: {
      maxPromptChars: config.MAX_PROMPT_CHARS,
      maxMediaItems: config.MAX_MEDIA_ITEMS,
      maxTotalPixels: config.MAX_REQUEST_PIXELS,
      maxTotalSeconds: config.MAX_REQUEST_AUDIO_SECONDS,
    },
  };
}

/** The socket inactivity timeout in force. */
export const idleTimeoutMs = (config: Config): number =>
  config.HTTP_IDLE_TIMEOUT_MS ?? config.REQUEST_TIMEOUT_MS + 30_000;

/** A configuration for tests and embedding: the defaults with some values replaced. */
export function configWith(overrides: Partial<Config> = {}): Config {
  return { ...configSchema.parse({}), ...overrides };
}
