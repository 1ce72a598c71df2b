/**
 * The prompt side of a multimodal bundle: a placeholder token per image or sound, and a chat
 * template that renders it. LLaDA-V and DIFFA splice their features at positions their Python
 * code marks with a sentinel id outside the vocabulary (LLaVA's −200), which a bundle cannot
 * express; the converter instead adds the placeholder string to `tokenizer.json` as a special
 * token at the first id the tokenizer does not use (the embedding has spare rows: its row is
 * never read, the features replace it), and wraps the checkpoint's chat template so that
 * content parts `{type: 'image'}` / `{type: 'audio'}` become that text before the original
 * template runs. Text-only messages render exactly as before, but for the family's system prompt
 * when the request sends none (families/family-prompts.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { TextTokenizer, UnmaskError } from '@unmask/core';
import { z } from 'zod';

const tokenizerJsonSchema = z.looseObject({
  added_tokens: z.array(z.looseObject({ id: z.number().int(), content: z.string() })).default([]),
});

/**
 * Makes `token` one token of the tokenizer at `path` (rewriting the file when it must be
 * added) and returns its id; refuses when the embedding (`vocabSize` rows) has no spare row.
 */
export function ensurePlaceholderToken(path: string, token: string, vocabSize: number): number {
  const tokenizer = TextTokenizer.fromFile(path);
  const existing = tokenizer.tokenToId(token);
  if (existing !== undefined) return existing;
  const id = tokenizer.size;
  if (id >= vocabSize) {
    throw new UnmaskError(
      'invalid_bundle',
      `${path}: cannot add the placeholder token ${JSON.stringify(token)}: the tokenizer uses every id of the model's ${vocabSize} embedding rows`,
      'tokenizer.json',
    );
  }
  const json = tokenizerJsonSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  json.added_tokens.push({
    id,
    content: token,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  writeFileSync(path, JSON.stringify(json));
  const check = TextTokenizer.fromFile(path);
  if (check.tokenToId(token) !== id || check.encode(`a${token}b`).filter((t) => t === id).length !== 1) {
    throw new UnmaskError(
      'invalid_bundle',
      `${path}: the placeholder token ${JSON.stringify(token)} added at id ${id} does not encode as one token`,
      'tokenizer.json',
    );
  }
  return id;
}

/** Text each content part becomes (Jinja string literals are written with JSON escapes). */
export interface MediaText {
  readonly image?: string;
  readonly audio?: string;
}

/**
 * `template` preceded by a block that rewrites `messages`: list contents are flattened to one
 * string, each media part replaced by its text and text parts appended in order; with
 * `systemPrompt`, a system message with it goes first when the messages start with none.
 */
export function mediaChatTemplate(template: string, text: MediaText, systemPrompt?: string): string {
  const literal = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  const system =
    systemPrompt === undefined
      ? ''
      : `{%- if unmask.messages | length == 0 or unmask.messages[0]['role'] != 'system' -%}` +
        `{%- set unmask.messages = [{'role': 'system', 'content': ${literal(systemPrompt)}}] + unmask.messages -%}` +
        `{%- endif -%}`;
  const branches = (['image', 'audio'] as const)
    .filter((kind) => text[kind] !== undefined)
    .map((kind) => `{%- elif part['type'] == '${kind}' -%}{%- set flat.text = flat.text + ${literal(text[kind]!)} -%}`)
    .join('');
  return (
    `{#- unmask convert: media parts of a message become their placeholder text, then the checkpoint's template runs -#}\n` +
    `{%- set unmask = namespace(messages=[]) -%}` +
    `{%- for message in messages -%}` +
    `{%- if message['content'] is string -%}{%- set unmask.messages = unmask.messages + [message] -%}` +
    `{%- else -%}{%- set flat = namespace(text='') -%}` +
    `{%- for part in message['content'] -%}` +
    `{%- if part['type'] == 'text' -%}{%- set flat.text = flat.text + part['text'] -%}${branches}{%- endif -%}` +
    `{%- endfor -%}` +
    `{%- set unmask.messages = unmask.messages + [{'role': message['role'], 'content': flat.text}] -%}` +
    `{%- endif -%}{%- endfor -%}` +
    system +
    `{%- set messages = unmask.messages -%}\n` +
    template
  );
}
