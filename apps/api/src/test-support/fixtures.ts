/** Shared by the API tests: the real tiny bundles, a server on them, test images and WAVs. */
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Unmask } from '@unmask/pipeline';
import { configWith, mediaLimitsOf, type Config } from '../config.js';
import { buildServer, type Server } from '../server.js';
import { wavOf } from '@unmask/pipeline/testing';

export const MULTIMODAL_BUNDLE = fileURLToPath(
  new URL('../../../../libs/pipeline/test-fixtures/tiny-multimodal', import.meta.url),
);
export const TEXT_BUNDLE = fileURLToPath(new URL('../../../../libs/core/test-fixtures/tiny-bundle', import.meta.url));

export async function startServer(
  overrides: Partial<Config> = {},
  bundle = MULTIMODAL_BUNDLE,
): Promise<Server & { unmask: Unmask; close(): Promise<void> }> {
  const config = configWith({ LOG_LEVEL: 'silent', DEMO_DIR: '/nonexistent-demo-dir', ...overrides });
  const unmask = await Unmask.load(bundle, {
    ...(config.MAX_BATCH_SIZE ? { maxBatchSize: config.MAX_BATCH_SIZE } : {}),
    prefixCacheBytes: config.PREFIX_CACHE_BYTES,
    limits: mediaLimitsOf(config),
  });
  const server = await buildServer({ config, model: unmask });
  await server.ready;
  return {
    ...server,
    unmask,
    async close() {
      await server.app.close();
      await unmask.close();
    },
  };
}

export async function pngBytes(width = 40, height = 32): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 60 } } })
    .png()
    .toBuffer();
}

export const dataUrl = (type: string, bytes: Uint8Array) =>
  `data:${type};base64,${Buffer.from(bytes).toString('base64')}`;

/** A 16-bit mono PCM WAV of a sine tone (the pipeline's test helper), as a Buffer. */
export function wavBytes(seconds = 0.5, sampleRate = 16000, hz = 440): Buffer {
  return Buffer.from(wavOf(seconds, sampleRate, hz));
}

/** A multipart body (through the platform's FormData) ready for `inject` or fetch. */
export async function multipart(
  fields: Record<string, string>,
  file?: { field: string; name: string; type: string; bytes: Uint8Array },
): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append(file.field, new Blob([file.bytes], { type: file.type }), file.name);
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return {
    payload: Buffer.from(await request.arrayBuffer()),
    headers: { 'content-type': request.headers.get('content-type') as string },
  };
}

/** Parses an SSE body into its `data:` payloads. */
export function sseData(body: string): string[] {
  return body
    .split('\n\n')
    .map((block) =>
      block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n'),
    )
    .filter((d) => d !== '');
}

/** Reads one Prometheus sample value (0 when absent). */
export function metricValue(text: string, name: string, labels = ''): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').pop()) : 0;
}
