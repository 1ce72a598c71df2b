/**
 * The non-graph parts of a converted bundle, all taken from the checkpoint's files: the
 * tokenizer (`tokenizer.json`, `tokenizer_config.json`), the chat template (tokenizer_config's
 * `chat_template`, or a `chat_template.jinja` file), the special tokens (ids from config.json,
 * else token strings from tokenizer_config.json), and the manifest that names them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ChatTemplate,
  type DecodingSection,
  LM_CONTRACTS,
  type Manifest,
  manifestSchema,
  TextTokenizer,
  type TokenRef,
  UnmaskError,
} from '@unmask/core';
import { z } from 'zod';
import type { LmArchitecture } from '../lm/checkpoint-config.js';
import { checkpointTokenizerFile } from './slow-tokenizer.js';

/** An AddedToken as tokenizer_config.json serialises it: a string or `{content, …}`. */
const tokenString = z.union([z.string(), z.looseObject({ content: z.string() })]).nullish();

const tokenizerConfigSchema = z.looseObject({
  mask_token: tokenString,
  eos_token: tokenString,
  pad_token: tokenString,
  bos_token: tokenString,
  chat_template: z.union([z.string(), z.array(z.object({ name: z.string(), template: z.string() }))]).nullish(),
  additional_special_tokens: z.array(tokenString).nullish(),
});

/**
 * LLaDA's mask token. LLaDA-8B-Instruct's and LLaDA-V's tokenizer_config.json name it only among
 * `additional_special_tokens` and their config.json may have no mask_token_id: the upstream
 * generate functions hard-code its id (126336, `mask_id`).
 */
export const LLADA_MASK_TOKEN = '<|mdm_mask|>';

/** Used for checkpoints without any chat template (base models): the messages' text in order. */
export const PLAIN_CHAT_TEMPLATE = "{% for message in messages %}{{ message['content'] }}{% endfor %}";

export interface BundleMetadata {
  readonly tokenizerFile: string;
  readonly tokenizerConfigFile?: string;
  readonly chatTemplate: string;
  /** Where the chat template came from (a file and field, or "none"). */
  readonly chatTemplateSource: string;
  readonly specialTokens: Manifest['special_tokens'];
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UnmaskError('invalid_bundle', `${file}: not valid JSON (${(error as Error).message})`, file);
  }
}

export function readBundleMetadata(dir: string, arch: LmArchitecture): BundleMetadata {
  const tokenizerFile = checkpointTokenizerFile(dir);
  const configFile = join(dir, 'tokenizer_config.json');
  const hasConfig = existsSync(configFile);
  const parsed = hasConfig
    ? tokenizerConfigSchema.safeParse(readJson(configFile))
    : tokenizerConfigSchema.safeParse({});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UnmaskError('invalid_bundle', `${configFile}: ${issue.path.join('.')}: ${issue.message}`, configFile);
  }
  const config = parsed.data;
  const tokenizer = TextTokenizer.fromFile(tokenizerFile, hasConfig ? configFile : undefined);
  if (tokenizer.size > arch.vocabSize) {
    throw new UnmaskError(
      'invalid_bundle',
      `${tokenizerFile}: has token ids up to ${tokenizer.size - 1}, but the model's embedding has ${arch.vocabSize} rows`,
      tokenizerFile,
    );
  }

  const named = (role: 'mask' | 'eos' | 'pad' | 'bos'): string | undefined => {
    const value = config[`${role}_token`];
    return typeof value === 'string' ? value : value?.content;
  };
  const resolve = (role: 'mask' | 'eos' | 'pad' | 'bos'): TokenRef | undefined => {
    const id = arch.tokenIds[role];
    // LLaDA-V's language model config.json says bos_token_id 128000 (Llama 3's) outside its
    // 126 464-row vocabulary; its tokenizer files name the real one (<|startoftext|>, 126080).
    if (id !== undefined && !(id >= arch.vocabSize && named(role) !== undefined)) {
      if (id >= arch.vocabSize)
        throw new UnmaskError(
          'invalid_bundle',
          `${join(dir, 'config.json')}: ${role}_token_id ${id} is outside the vocabulary [0, ${arch.vocabSize})`,
          `${role}_token_id`,
        );
      const token = tokenizer.idToToken(id);
      return token === undefined ? id : { token, id };
    }
    const token = named(role);
    if (token === undefined) return undefined;
    const tokenId = tokenizer.tokenToId(token);
    if (tokenId === undefined)
      throw new UnmaskError(
        'invalid_bundle',
        `${configFile}: ${role}_token ${JSON.stringify(token)} is not in tokenizer.json`,
        `${role}_token`,
      );
    return { token, id: tokenId };
  };
  const additional = (config.additional_special_tokens ?? []).map((t) => (typeof t === 'string' ? t : t?.content));
  const lladaMask = additional.includes(LLADA_MASK_TOKEN) ? tokenizer.tokenToId(LLADA_MASK_TOKEN) : undefined;
  const mask = resolve('mask') ?? (lladaMask === undefined ? undefined : { token: LLADA_MASK_TOKEN, id: lladaMask });
  if (mask === undefined) {
    throw new UnmaskError(
      'invalid_bundle',
      `${dir}: cannot tell the mask token: config.json has no mask_token_id, tokenizer_config.json no mask_token and no ${LLADA_MASK_TOKEN} among its additional_special_tokens`,
      'mask_token_id',
    );
  }
  const eos = resolve('eos');
  if (eos === undefined) {
    throw new UnmaskError(
      'invalid_bundle',
      `${dir}: cannot tell the end-of-sequence token: config.json has no eos_token_id and tokenizer_config.json no eos_token`,
      'eos_token_id',
    );
  }
  const pad = resolve('pad') ?? eos;
  const bos = resolve('bos');

  let chatTemplate = PLAIN_CHAT_TEMPLATE;
  let chatTemplateSource = 'none in the checkpoint: the plain template (message contents in order)';
  const templateFile = join(dir, 'chat_template.jinja');
  if (typeof config.chat_template === 'string') {
    chatTemplate = config.chat_template;
    chatTemplateSource = `${configFile}: chat_template`;
  } else if (Array.isArray(config.chat_template)) {
    const named = config.chat_template.find((t) => t.name === 'default') ?? config.chat_template[0];
    if (named) {
      chatTemplate = named.template;
      chatTemplateSource = `${configFile}: chat_template "${named.name}"`;
    }
  } else if (existsSync(templateFile)) {
    chatTemplate = readFileSync(templateFile, 'utf8');
    chatTemplateSource = templateFile;
  }
  new ChatTemplate(chatTemplate, chatTemplateSource); // parses, or throws naming the source

  return {
    tokenizerFile,
    ...(hasConfig ? { tokenizerConfigFile: configFile } : {}),
    chatTemplate,
    chatTemplateSource,
    specialTokens: { mask, eos, pad, ...(bos === undefined ? {} : { bos }) },
  };
}

export function makeManifest(
  name: string,
  arch: LmArchitecture,
  metadata: BundleMetadata,
  description: string,
  weights?: Manifest['lm']['weights'],
  decoding?: DecodingSection,
  maxBatchSize?: number,
): Manifest {
  return manifestSchema.parse({
    format: 1,
    name,
    description,
    tokenizer: 'tokenizer.json',
    ...(metadata.tokenizerConfigFile ? { tokenizer_config: 'tokenizer_config.json' } : {}),
    chat_template: 'chat_template.jinja',
    lm: {
      contract: LM_CONTRACTS[0],
      embed_graph: 'embed.onnx',
      graph: 'lm.onnx',
      shifted_logits: arch.shiftedLogits,
      position_ids: arch.mropeSections ? 'mrope' : '1d',
      ...(weights ? { weights } : {}),
      ...(maxBatchSize === undefined ? {} : { max_batch_size: maxBatchSize }),
    },
    sizes: {
      vocab_size: arch.vocabSize,
      hidden_size: arch.hiddenSize,
      num_layers: arch.numLayers,
      num_attention_heads: arch.numHeads,
      num_key_value_heads: arch.numKvHeads,
      head_dim: arch.headDim,
      max_positions: arch.maxPositions,
    },
    special_tokens: metadata.specialTokens,
    ...(decoding ? { decoding } : {}),
  });
}
