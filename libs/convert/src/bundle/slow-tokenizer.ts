/**
 * A checkpoint's tokenizer.json, or one built from a slow Qwen2 tokenizer's files. Dream and
 * Dimple may ship `vocab.json` + `merges.txt` (Qwen2Tokenizer) without `tokenizer.json`;
 * transformers then builds the fast tokenizer itself (convert_slow_tokenizer.py, Qwen2Converter):
 * byte-level BPE over the vocabulary and merges (no unknown token, no byte fallback), NFC
 * normalisation, the Qwen2 pre-tokenizer regex split then byte-level mapping, a byte-level
 * decoder, and the added tokens of tokenizer_config.json's `added_tokens_decoder`. The same
 * tokenizer.json is written here (hand-written: no tokenizers library runs in Node for this).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnmaskError } from '@unmask/core';
import { z } from 'zod';

/** Qwen2Tokenizer's PRETOKENIZE_REGEX. */
export const QWEN2_PRETOKENIZE_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const SLOW_QWEN2 = ['Qwen2Tokenizer', 'Qwen2TokenizerFast'];

const addedTokenSchema = z.looseObject({
  content: z.string().min(1),
  lstrip: z.boolean().default(false),
  rstrip: z.boolean().default(false),
  normalized: z.boolean().default(false),
  single_word: z.boolean().default(false),
  special: z.boolean().default(false),
});
const slowConfigSchema = z.looseObject({
  tokenizer_class: z.string().optional(),
  added_tokens_decoder: z.record(z.string(), addedTokenSchema).default({}),
});

function fail(file: string, message: string, param = file): never {
  throw new UnmaskError('invalid_bundle', `${file}: ${message}`, param);
}

/** tokenizer.json's content for the slow Qwen2 tokenizer in `dir` (vocab.json, merges.txt, tokenizer_config.json). */
export function qwen2TokenizerJson(dir: string): Record<string, unknown> {
  const vocabFile = join(dir, 'vocab.json');
  const mergesFile = join(dir, 'merges.txt');
  const configFile = join(dir, 'tokenizer_config.json');
  let vocab: unknown;
  try {
    vocab = JSON.parse(readFileSync(vocabFile, 'utf8'));
  } catch (error) {
    fail(vocabFile, `not valid JSON (${(error as Error).message})`);
  }
  const parsedVocab = z.record(z.string(), z.number().int().nonnegative()).safeParse(vocab);
  if (!parsedVocab.success) fail(vocabFile, 'must map each token to its id');
  const merges = readFileSync(mergesFile, 'utf8')
    .split('\n')
    .filter((line, i) => line.length > 0 && !(i === 0 && line.startsWith('#version')));
  merges.forEach((line, i) => {
    const parts = line.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1])
      fail(mergesFile, `line ${i + 1} is not two tokens separated by one space: ${JSON.stringify(line)}`);
    for (const part of parts)
      if (!(part in parsedVocab.data)) fail(mergesFile, `line ${i + 1}: ${JSON.stringify(part)} is not in vocab.json`);
  });
  const config = existsSync(configFile)
    ? slowConfigSchema.safeParse(JSON.parse(readFileSync(configFile, 'utf8')))
    : slowConfigSchema.safeParse({});
  if (!config.success)
    fail(configFile, `${config.error.issues[0]?.path.join('.')}: ${config.error.issues[0]?.message}`);
  const added = Object.entries(config.data.added_tokens_decoder)
    .map(([id, t]) => ({
      id: Number(id),
      content: t.content,
      single_word: t.single_word,
      lstrip: t.lstrip,
      rstrip: t.rstrip,
      normalized: t.normalized,
      special: t.special,
    }))
    .sort((a, b) => a.id - b.id);
  for (const t of added)
    if (!Number.isInteger(t.id) || t.id < 0)
      fail(configFile, `added_tokens_decoder has a key that is not an id: ${t.id}`);
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN2_PRETOKENIZE_REGEX }, behavior: 'Isolated', invert: false },
        byteLevel,
      ],
    },
    post_processor: { ...byteLevel },
    decoder: { ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: parsedVocab.data,
      merges,
    },
  };
}

const built: string[] = [];
process.once('exit', () => {
  for (const dir of built) rmSync(dir, { recursive: true, force: true });
});

/**
 * The path of `dir`'s tokenizer.json; for a slow Qwen2 tokenizer (vocab.json + merges.txt and a
 * Qwen2Tokenizer tokenizer_class, or none), the path of one built from them (in a temporary
 * folder removed at exit). Throws when there is neither.
 */
export function checkpointTokenizerFile(dir: string): string {
  const file = join(dir, 'tokenizer.json');
  if (existsSync(file)) return file;
  const hasSlow = existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'));
  if (!hasSlow)
    throw new UnmaskError(
      'invalid_bundle',
      `${dir}: the checkpoint has no tokenizer.json (nor vocab.json and merges.txt of a slow Qwen2 tokenizer)`,
      file,
    );
  const configFile = join(dir, 'tokenizer_config.json');
  const tokenizerClass = existsSync(configFile)
    ? (JSON.parse(readFileSync(configFile, 'utf8')) as { tokenizer_class?: unknown }).tokenizer_class
    : undefined;
  if (tokenizerClass !== undefined && !SLOW_QWEN2.includes(String(tokenizerClass)))
    throw new UnmaskError(
      'invalid_bundle',
      `${dir}: the checkpoint has no tokenizer.json, and its slow tokenizer is a ${String(tokenizerClass)}; only Qwen2Tokenizer's vocab.json + merges.txt are turned into one`,
      'tokenizer_class',
    );
  const out = mkdtempSync(join(tmpdir(), 'unmask-slow-tokenizer-'));
  built.push(out);
  const path = join(out, 'tokenizer.json');
  writeFileSync(path, JSON.stringify(qwen2TokenizerJson(dir)));
  return path;
}
