/**
 * The whole-answer check of a model that declares its JSON answer (`generation.json_answer`), on
 * the embedded default model and the demo's spoken commands: asked for the intent in wordings it
 * was never trained on, it sometimes commits the end of text inside its JSON; declared, such an
 * answer is decoded again under the schema's constraint and comes back whole.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { matchesConstraint } from '@unmask/core';
import { defaultModelDir } from './default-model.js';
import { Unmask } from './unmask.js';

const SAMPLES = fileURLToPath(new URL('../../../apps/demo/public/samples/', import.meta.url));
const CLIPS = ['command-1.wav', 'command-2.wav', 'command-3.wav'];
/** Held-out intent wordings (docs/worlds.md) and near ones. */
const PROMPTS = [
  'interpret the command.',
  'what is the request',
  "what's the request",
  'can you interpret the request',
  'let me know what is wanted',
  'i would like to know what is wanted',
  'What does the person want done?',
  // Build 12 (synonym swaps) ends none of the above early; these it still does, on the demo's clips.
  'Go ahead and classify the command?',
  'classify the command cheers',
  'Good morning what is the request??',
  // Build 14 (word vectors) ends none of the above early; these it does, on command-3.wav.
  'tell me what they asked for',
  'what action is asked for',
];

/** A copy of the default model whose manifest's `generation` is changed by `edit`. */
function defaultModelWith(edit: (generation: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'unmask-json-answer-'));
  cpSync(defaultModelDir(), dir, { recursive: true, filter: (src) => !src.includes(`${join('default', 'eval')}`) });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  edit(manifest.generation);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

const isJsonStart = (text: string) => text.trimStart().startsWith('{');

describe('Unmask: the whole-answer check of a model that declares its JSON answer', () => {
  const dirs: string[] = [];
  let schema: Record<string, unknown>;
  let plain: Unmask;
  let declared: Unmask;
  before(async () => {
    const declaring = defaultModelWith((g) => {
      g.json_answer ??= {
        schema: {
          type: 'object',
          properties: {
            action: { enum: ['activate', 'deactivate', 'increase', 'decrease', 'change_language', 'bring'] },
            object: { type: 'string' },
            location: { enum: ['kitchen', 'bedroom', 'washroom', 'none'] },
          },
          required: ['action', 'object', 'location'],
          additionalProperties: false,
        },
      };
    });
    schema = JSON.parse(readFileSync(join(declaring, 'manifest.json'), 'utf8')).generation.json_answer.schema;
    const undeclared = defaultModelWith((g) => {
      delete g.json_answer;
    });
    dirs.push(declaring, undeclared);
    [plain, declared] = await Promise.all([Unmask.load(undeclared), Unmask.load(declaring)]);
  });
  after(async () => {
    await Promise.all([plain?.close(), declared?.close()]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('decodes a JSON answer cut short again under the schema, and leaves every other answer as it was', async () => {
    let broken = 0;
    for (const clip of CLIPS) {
      const audio = [readFileSync(join(SAMPLES, clip))];
      for (const prompt of PROMPTS) {
        const request = { prompt, audio, maxTokens: 32 };
        const [before, after] = await Promise.all([plain.ask(request), declared.ask(request)]);
        // The first decode's text, which the undeclared model's refusal check may have decoded again.
        const first = before.decodedAgain?.text ?? before.text;
        const valid = matchesConstraint({ type: 'json_schema', schema }, first);
        if (isJsonStart(first) && !valid) {
          broken += 1;
          assert.ok(
            matchesConstraint({ type: 'json_schema', schema }, after.text),
            `${clip} "${prompt}": ${after.text}`,
          );
          assert.deepEqual(after.decodedAgain, { text: first });
          if (!before.decodedAgain) assert.ok(after.forwardPasses > before.forwardPasses, 'both decodes counted');
        } else {
          assert.equal(after.text, before.text, `${clip} "${prompt}"`);
          assert.deepEqual(after.decodedAgain, before.decodedAgain);
        }
      }
    }
    assert.ok(broken >= 2, `the probe still finds JSON answers cut short (found ${broken})`);
  });

  it('leaves a JSON answer alone when the request sets its own response format', async () => {
    const audio = [readFileSync(join(SAMPLES, 'command-1.wav'))];
    const r = await declared.ask({
      prompt: 'interpret the command.',
      audio,
      maxTokens: 32,
      responseFormat: { type: 'json_object' },
    });
    assert.equal(r.decodedAgain, undefined);
    JSON.parse(r.text);
  });
});
