/**
 * Fuzz target for the HTTP request layer: JSON chat requests and multipart forms (valid ones
 * mutated byte-wise, and structured ones with random values in every field) sent to a real
 * server on the tiny multimodal bundle. Every answer must be a 200 or a 4xx in OpenAI's error
 * shape without a stack trace; a 5xx or a malformed error body is a finding.
 */
import fc from 'fast-check';
import { FuzzFinding, mutatedBytes, type FuzzTarget } from '@unmask/core/fuzz';
import { errorBodySchema } from '@unmask/protocol';
import { dataUrl, multipart, startServer, wavBytes } from '../test-support/fixtures.js';
import { pngOf } from '@unmask/pipeline/testing';

type Started = Awaited<ReturnType<typeof startServer>>;
let started: Promise<Started> | undefined;
const server = () => {
  // The deadline is wall time: at 10 s, seed 50467167 got a 504 for the unchanged seed request
  // (about 0.7 s alone) when it took 32 s at load 20. 45 s still answers before the 60 s
  // no-answer finding below, so a request that never finishes is still caught.
  started ??= startServer({ MAX_PROMPT_CHARS: 4000, REQUEST_TIMEOUT_MS: 45_000 });
  return started;
};

interface FuzzRequest {
  readonly url: string;
  readonly contentType: string;
  readonly body: Uint8Array;
}

const png = await pngOf(12, 10);
const wav = wavBytes(0.1);
const CHAT_SEEDS = [
  { messages: [{ role: 'user', content: 'what color is the circle' }], max_tokens: 4 },
  {
    messages: [
      { role: 'system', content: 'be brief' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: dataUrl('image/png', png) } },
          { type: 'input_audio', input_audio: { data: wav.toString('base64'), format: 'wav' } },
          { type: 'text', text: 'q' },
        ],
      },
    ],
    max_tokens: 3,
    stream: true,
    stop: ['x'],
    seed: 7,
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'a', schema: { type: 'object', properties: { a: { type: 'string', maxLength: 2 } } } },
    },
    diffusion: { strategy: { name: 'confident', threshold: 0.5 }, stream_steps: true, cache: 'prefix' },
  },
].map((body) => new TextEncoder().encode(JSON.stringify(body)));

const imageForm = await multipart(
  { prompt: 'q', max_tokens: '3', strategy: 'threshold', threshold: '0.5', stream: 'true' },
  { field: 'image', name: 'x.png', type: 'image/png', bytes: png },
);
const audioForm = await multipart(
  { prompt: 'q', max_tokens: '2' },
  { field: 'audio', name: 'a.wav', type: 'audio/wav', bytes: wav },
);

const anyValue = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1e308, 2 ** 53, '', 'x', [], {}),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
);
/** A chat request with random values in its fields: what validation must refuse cleanly. */
const structuredChat = fc
  .record(
    {
      messages: fc.oneof(
        anyValue,
        fc.array(
          fc.record(
            {
              role: fc.oneof(fc.constantFrom('user', 'system', 'assistant', 'developer', 'tool'), anyValue),
              content: fc.oneof(
                fc.string({ maxLength: 30 }),
                anyValue,
                fc.array(
                  fc.oneof(
                    fc.record({ type: fc.constant('text'), text: fc.oneof(fc.string({ maxLength: 20 }), anyValue) }),
                    fc.record({
                      type: fc.constant('image_url'),
                      image_url: fc.record({
                        url: fc.oneof(fc.constant(dataUrl('image/png', png)), fc.string({ maxLength: 40 }), anyValue),
                      }),
                    }),
                    fc.record({
                      type: fc.constant('input_audio'),
                      input_audio: fc.record({
                        data: fc.oneof(fc.constant(wav.toString('base64')), fc.base64String({ maxLength: 64 })),
                        format: fc.oneof(fc.constant('wav'), anyValue),
                      }),
                    }),
                    anyValue,
                  ),
                  { maxLength: 4 },
                ),
              ),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 4 },
        ),
      ),
      max_tokens: fc.oneof(fc.integer({ min: -2, max: 70 }), anyValue),
      temperature: anyValue,
      top_p: anyValue,
      seed: anyValue,
      stop: fc.oneof(anyValue, fc.array(fc.string({ maxLength: 4 }), { maxLength: 6 })),
      n: anyValue,
      stream: fc.oneof(fc.boolean(), anyValue),
      response_format: fc.oneof(
        anyValue,
        fc.record({
          type: fc.constantFrom('text', 'json_object', 'json_schema'),
          json_schema: fc.object({ maxDepth: 3 }),
        }),
      ),
      diffusion: fc.oneof(
        anyValue,
        fc.record(
          {
            strategy: fc.oneof(
              anyValue,
              fc.record(
                {
                  name: fc.constantFrom('confident', 'threshold', 'low_confidence', 'prophet', 'x'),
                  threshold: anyValue,
                  steps: anyValue,
                  block_length: anyValue,
                },
                { requiredKeys: [] },
              ),
            ),
            cache: anyValue,
            top_k: anyValue,
            stream_steps: anyValue,
          },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: [] },
  )
  .map((body) => new TextEncoder().encode(JSON.stringify(body)));

const request: fc.Arbitrary<FuzzRequest> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      url: fc.constant('/v1/chat/completions'),
      contentType: fc.constant('application/json'),
      body: mutatedBytes(CHAT_SEEDS),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      url: fc.constant('/v1/chat/completions'),
      contentType: fc.constant('application/json'),
      body: structuredChat,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      url: fc.constantFrom('/v1/vqa', '/v1/slu'),
      contentType: fc.constantFrom(
        imageForm.headers['content-type'] as string,
        'multipart/form-data',
        'multipart/form-data; boundary=x',
      ),
      body: mutatedBytes([new Uint8Array(imageForm.payload), new Uint8Array(audioForm.payload)]),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      url: fc.constantFrom('/v1/chat/completions', '/v1/vqa', '/v1/models', '/%76%31/chat/completions', '/v1//vqa'),
      contentType: fc.constantFrom('application/json', 'text/plain', 'multipart/form-data', ''),
      body: fc.uint8Array({ maxLength: 256 }),
    }),
  },
);

export const httpRequestTarget: FuzzTarget<FuzzRequest> = {
  name: 'api.httpRequest',
  arbitrary: request,
  timeoutMs: 15_000,
  setUp: async () => void (await server()),
  async run({ url, contentType, body }) {
    const { app } = await server();
    let timer: NodeJS.Timeout | undefined;
    const res = await Promise.race([
      app.inject({
        method: 'POST',
        url,
        payload: Buffer.from(body),
        headers: contentType ? { 'content-type': contentType } : {},
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new FuzzFinding(`${url}: no answer within 60 s`)), 60_000);
      }),
    ]).finally(() => clearTimeout(timer));
    if (res.statusCode >= 500) throw new FuzzFinding(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    if (/\bat .+:\d+:\d+/.test(res.body)) throw new FuzzFinding(`${url}: a stack trace in the answer`);
    if (res.statusCode >= 400) {
      const parsed = errorBodySchema.safeParse(res.json());
      if (!parsed.success)
        throw new FuzzFinding(`${url}: ${res.statusCode} not in OpenAI's error shape: ${res.body.slice(0, 200)}`);
    } else if (res.statusCode !== 200) throw new FuzzFinding(`${url}: unexpected status ${res.statusCode}`);
  },
};

export const fuzzTargets = [httpRequestTarget];

/** Stops the target's server (for the bounded spec). */
export async function closeFuzzServer(): Promise<void> {
  if (started) await (await started).close();
  started = undefined;
}
