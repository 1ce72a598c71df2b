import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng.js';
import { REFUSAL, SPOKEN_QUESTION_PROMPT } from './refusal.js';
import { inScopePrompts, sampleExample, TASK_TYPES, textExampleSchema, toTextExample } from './tasks.js';
import { answerQuestion, parseShapeQuestion } from './shapes/questions.js';
import { allUtterances, intentJson, respondTo } from './home/utterance.js';

describe('examples of every task type', () => {
  it('have the media their prompt needs and answers consistent with the world rules', () => {
    const rng = new Rng(21);
    const byText = new Map(allUtterances().map((u) => [u.text, u]));
    for (let i = 0; i < 300; i++) {
      for (const type of TASK_TYPES) {
        const e = sampleExample(rng, type);
        assert.equal(e.type, type);
        textExampleSchema.parse(toTextExample(e));
        if (type === 'refusal') {
          assert.equal(e.answer, REFUSAL);
          const mediaOk = inScopePrompts().includes(e.prompt);
          if (mediaOk) {
            // An in-scope prompt is only refused when its media is missing.
            const q = parseShapeQuestion(e.prompt);
            if (q) assert.equal(e.scene, null);
            else if (e.prompt === SPOKEN_QUESTION_PROMPT) assert.ok(e.scene === null || e.spoken === null);
            else assert.equal(e.spoken, null);
          }
        } else if (type === 'spoken_question') {
          assert.equal(e.prompt, SPOKEN_QUESTION_PROMPT);
          assert.equal(e.answer, answerQuestion(e.scene!, parseShapeQuestion(e.spoken!)!));
        } else if (type === 'transcribe' || type === 'intent' || type === 'respond') {
          const u = byText.get(e.spoken!)!;
          assert.ok(u, e.spoken!);
          const expected =
            type === 'transcribe' ? u.text : type === 'intent' ? intentJson(u.intent) : respondTo(u.intent);
          assert.equal(e.answer, expected);
        } else {
          assert.equal(e.answer, answerQuestion(e.scene!, parseShapeQuestion(e.prompt)!));
        }
      }
    }
  });

  it('are reproducible from a seed', () => {
    const a = new Rng(4);
    const b = new Rng(4);
    for (const type of TASK_TYPES) assert.deepEqual(sampleExample(a, type), sampleExample(b, type));
  });
});
