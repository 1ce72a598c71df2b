/**
 * `POST /v1/vqa` (an image) and `POST /v1/slu` (a WAV recording): multipart forms for curl users,
 * answered like a chat completion. Fields: the file (`image` / `audio`, or `file`), `prompt`,
 * `strategy` (a name or a JSON object) with flat strategy parameters, and the sampling fields.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Multipart } from '@fastify/multipart';
import { z } from 'zod';
import { CACHE_MODES, strategySchema } from '@unmask/core';
import { chatCompletionSchema, MAX_TOKENS_CAP, SEED_MAX } from '@unmask/protocol';
import { checkRequestLimits } from '../chat/answer-job.js';
import type { ChatJob } from '../chat/chat-job.js';
import { AUDIO_TYPES, IMAGE_TYPES, UNKNOWN_TYPE } from '../chat/media-input.js';
import { ApiError, badRequest, tooLarge, unsupportedMedia } from '../http/api-error.js';
import { describeIssues, type ZodIssue } from '../http/zod-issues.js';
import type { Services } from '../services.js';
import { answer, chatPresenter, errorResponses } from './chat-completions.js';

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const num = z.coerce.number();

export const mediaFormFieldsSchema = z
  .object({
    prompt: z.string().trim().min(1, 'required: the question'),
    max_tokens: z.coerce.number().int().min(1).max(MAX_TOKENS_CAP).optional(),
    temperature: num.min(0).max(2).optional(),
    top_p: num.gt(0).max(1).optional(),
    top_k: z.coerce.number().int().min(1).optional(),
    seed: z.coerce
      .number()
      .min(0, `must be an integer from 0 to ${SEED_MAX} (2^32 − 1)`)
      .max(SEED_MAX, `must be an integer from 0 to ${SEED_MAX} (2^32 − 1)`)
      .int()
      .optional(),
    cache: z.enum(CACHE_MODES).optional(),
    stop: z.string().min(1).optional(),
    stream: flag.optional(),
    stream_steps: flag.optional(),
    strategy: z.string().optional().describe('A strategy name, or a JSON object with name and parameters'),
    threshold: num.optional(),
    steps: num.optional(),
    block_length: num.optional(),
    factor: num.optional(),
    remasking: z.string().optional(),
    confidence: z.string().optional(),
    eos_gamma: num.optional(),
  })
  .strict();
export type MediaFormFields = z.infer<typeof mediaFormFieldsSchema>;

const STRATEGY_FIELDS = [
  'threshold',
  'steps',
  'block_length',
  'factor',
  'remasking',
  'confidence',
  'eos_gamma',
] as const;

function strategyOf(fields: MediaFormFields): unknown {
  let base: Record<string, unknown> = {};
  const raw = fields.strategy?.trim();
  if (raw?.startsWith('{')) {
    try {
      base = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw badRequest('strategy: not valid JSON', 'strategy');
    }
  } else if (raw) base = { name: raw };
  const flat = Object.fromEntries(STRATEGY_FIELDS.filter((k) => fields[k] !== undefined).map((k) => [k, fields[k]]));
  if (Object.keys(base).length === 0 && Object.keys(flat).length === 0) return undefined;
  const merged = { ...base, ...flat };
  // Without a name the model's default strategy applies; the engine checks the fields against it.
  if (!('name' in merged)) return merged;
  const parsed = strategySchema.safeParse(merged);
  if (!parsed.success) {
    const { message, param } = describeIssues(parsed.error.issues as readonly ZodIssue[]);
    throw badRequest(`strategy.${message}`, param ? `strategy.${param}` : 'strategy');
  }
  return parsed.data;
}

interface FormKind {
  readonly kind: 'image' | 'audio';
  readonly types: readonly string[];
}

/** The largest multipart text field, in bytes (a longer one is refused, never cut). */
export const FORM_FIELD_LIMIT = 1024 * 1024;

/** A parser error (busboy's, Fastify's) as a 4xx in the OpenAI shape: never a 500 with a stack trace. */
function formError(error: unknown): unknown {
  if (error instanceof ApiError) return error;
  const e = error as { code?: unknown; message?: unknown; statusCode?: unknown };
  if (e.code === 'FST_INVALID_JSON_FIELD_ERROR')
    return badRequest('a multipart field declared as application/json is not valid JSON', null, 'invalid_multipart');
  // Fastify's own limit errors (413) keep their mapping in toApiError.
  if (typeof e.code === 'string' && e.code.startsWith('FST_') && e.code !== 'FST_MP_PREMATURE_CLOSE') return error;
  const why = typeof e.message === 'string' ? e.message.replace(/^Multipart: /, '') : 'unreadable';
  return badRequest(`the multipart body is malformed: ${why}`, null, 'invalid_multipart');
}

async function readForm(
  request: FastifyRequest,
  form: FormKind,
  maxBytes: number,
): Promise<{ file: Uint8Array; fields: Record<string, string> }> {
  if (!request.isMultipart())
    throw unsupportedMedia(`expected a multipart/form-data body with an '${form.kind}' file and a 'prompt' field`);
  let file: Uint8Array | undefined;
  const fields: Record<string, string> = {};
  try {
    const parts = request.parts({
      limits: { fileSize: maxBytes, files: 1, fields: 32, fieldSize: FORM_FIELD_LIMIT, parts: 40 },
    });
    for await (const part of parts as AsyncIterable<Multipart>) {
      if (part.type === 'file') {
        if (part.fieldname !== form.kind && part.fieldname !== 'file')
          throw badRequest(
            `unexpected file field '${part.fieldname}'; send the ${form.kind} as '${form.kind}'`,
            part.fieldname,
          );
        const type = part.mimetype.toLowerCase();
        if (!form.types.includes(type) && type !== UNKNOWN_TYPE) {
          throw unsupportedMedia(
            `${form.kind}: unsupported media type '${type}'; accepted: ${form.types.join(', ')}`,
            form.kind,
          );
        }
        file = new Uint8Array(await part.toBuffer());
      } else {
        if (part.fieldnameTruncated) throw tooLarge('a multipart field name is over the limit of 100 bytes');
        if (part.valueTruncated)
          throw tooLarge(
            `${part.fieldname}: the field is over the limit of ${FORM_FIELD_LIMIT} bytes (1 MiB); it is refused, not cut`,
            part.fieldname,
          );
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (error) {
    throw formError(error);
  }
  if (!file)
    throw badRequest(
      `${form.kind}: required: attach the file as '${form.kind}' (curl -F ${form.kind}=@file)`,
      form.kind,
    );
  return { file, fields };
}

function formJob(file: Uint8Array, raw: Record<string, string>, form: FormKind): ChatJob {
  const parsed = mediaFormFieldsSchema.safeParse(raw);
  if (!parsed.success) {
    const { message, param } = describeIssues(parsed.error.issues as readonly ZodIssue[]);
    throw badRequest(message, param);
  }
  const f = parsed.data;
  const strategy = strategyOf(f);
  const sampling = {
    ...(f.temperature !== undefined ? { temperature: f.temperature } : {}),
    ...(f.top_p !== undefined ? { top_p: f.top_p } : {}),
    ...(f.top_k !== undefined ? { top_k: f.top_k } : {}),
    ...(f.seed !== undefined ? { seed: f.seed } : {}),
  };
  return {
    ask: {
      prompt: f.prompt,
      ...(form.kind === 'image'
        ? { images: [{ data: file, field: 'image' }] }
        : { audio: [{ data: file, field: 'audio' }] }),
      ...(f.max_tokens !== undefined ? { maxTokens: f.max_tokens } : {}),
      ...(strategy !== undefined ? { strategy } : {}),
      ...(Object.keys(sampling).length > 0 ? { sampling } : {}),
      ...(f.cache ? { cache: f.cache } : {}),
      ...(f.stop ? { stop: [f.stop] } : {}),
      fields: { prompt: 'prompt', maxTokens: 'max_tokens', strategy: 'strategy' },
    },
    stream: f.stream === true,
    includeUsage: f.stream === true,
    streamSteps: f.stream_steps === true,
  };
}

export async function mediaFormRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const forms: { url: string; form: FormKind; summary: string }[] = [
    {
      url: '/v1/vqa',
      form: { kind: 'image', types: IMAGE_TYPES },
      summary: 'Visual question answering: an image file and a prompt (multipart)',
    },
    {
      url: '/v1/slu',
      form: { kind: 'audio', types: AUDIO_TYPES },
      summary: 'Spoken language understanding: a WAV file and a prompt (multipart)',
    },
  ];
  for (const { url, form, summary } of forms) {
    app.post(
      url,
      {
        schema: {
          summary,
          description: `multipart/form-data fields: \`${form.kind}\` (the file), \`prompt\`, optional \`max_tokens\`, \`temperature\`, \`top_p\`, \`top_k\`, \`seed\`, \`cache\`, \`stop\`, \`stream\`, \`stream_steps\`, \`strategy\` (a name or a JSON object) and flat strategy parameters (\`threshold\`, \`steps\`, \`block_length\`, \`factor\`, \`remasking\`, \`confidence\`, \`eos_gamma\`). Answers a chat.completion (or its stream).`,
          tags: ['media'],
          consumes: ['multipart/form-data'],
          response: { 200: chatCompletionSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        services.model.require();
        const { file, fields } = await readForm(request, form, services.config.MEDIA_LIMIT_BYTES);
        const job = formJob(file, fields, form);
        const { config } = services;
        checkRequestLimits(
          [job.ask.prompt],
          [{ param: form.kind }],
          { maxMediaItems: config.MAX_MEDIA_ITEMS, maxPromptChars: config.MAX_PROMPT_CHARS },
          'prompt',
        );
        return answer(services, reply, async () => job, chatPresenter);
      },
    );
  }
}
