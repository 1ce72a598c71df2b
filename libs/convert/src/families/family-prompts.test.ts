/**
 * The multimodal families' prompts against what their upstream code builds
 * (test-fixtures/upstream-prompts/: the text, where the media rows go, which text stays).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ChatTemplate } from '@unmask/core';
import { mediaChatTemplate } from '../bundle/media-placeholders.js';
import { DIFFA_PROMPT, LLADA_V_PROMPT } from './family-prompts.js';

const fixture = (path: string) => JSON.parse(readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8'));
const upstream = fixture('../../test-fixtures/upstream-prompts/upstream-prompts.json') as {
  diffa: { cases: { question: string; audio_info_text: string; prompt_text: string }[] };
  llada_v: { cases: { question: string; prompt_text: string; chunks: (string | null)[] }[] };
};
/** LLaDA-8B-Instruct's tokenizer_config.json (as LLaDA-V ships it): its chat template and BOS. */
const llada = fixture('../../test-fixtures/real-configs/llada-v-lm/tokenizer_config.json') as {
  chat_template: string;
  bos_token: string;
};
const render = (template: string, kind: 'image' | 'audio', question: string) =>
  new ChatTemplate(template, 'test').render(
    [{ role: 'user', content: [{ type: kind }, { type: 'text', text: question }] }],
    { variables: { bos_token: llada.bos_token } },
  );

describe('DIFFA’s prompt against NKU-HLT/DIFFA’s DIFFAModel.generate', () => {
  const template = mediaChatTemplate(DIFFA_PROMPT.chatTemplate!, DIFFA_PROMPT.mediaText, DIFFA_PROMPT.systemPrompt);
  for (const c of upstream.diffa.cases) {
    it(`is upstream's prompt_text with the audio rows after "This is the audio:" (${JSON.stringify(c.question)})`, () => {
      const [before, after, ...more] = render(template, 'audio', c.question).split(DIFFA_PROMPT.placeholder);
      assert.equal(more.length, 0, 'one placeholder');
      assert.equal(`${before}${after}`, c.prompt_text, 'the text, "<audio>. " and trailing spaces kept');
      // Upstream inserts after audio_info_text's tokens less its last one, the trailing space
      // (one token in LLaDA's tokenizer: no merge crosses ": " + " <" in its pre-tokenizer).
      assert.ok(c.audio_info_text.endsWith(': '));
      assert.equal(before, c.audio_info_text.slice(0, -1));
    });
  }
});

describe('LLaDA-V’s prompt against ML-GSAI/LLaDA-V’s conv_llava_llada and tokenizer_image_token', () => {
  const template = mediaChatTemplate(llada.chat_template, LLADA_V_PROMPT.mediaText, LLADA_V_PROMPT.systemPrompt);
  for (const c of upstream.llada_v.cases) {
    it(`has upstream's system prompt and text, the image rows where "<image>" was (${JSON.stringify(c.question)})`, () => {
      const text = render(template, 'image', c.question);
      assert.equal(text, c.prompt_text);
      const pieces = text.split(LLADA_V_PROMPT.placeholder);
      assert.deepEqual(
        pieces.flatMap((p, i) => (i === 0 ? [p] : [null, p])),
        c.chunks,
      );
    });
  }
});
