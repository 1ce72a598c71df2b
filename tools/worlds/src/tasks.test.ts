import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng.js';
import { REFUSAL, SPOKEN_QUESTION_PROMPT } from './refusal.js';
import { inScopePrompts, sampleExample, TASK_TYPES, textExampleSchema, toTextExample } from './tasks.js';
import { answerQuestion } from './shapes/questions.js';
import { allUtterances, intentJson, respondTo } from './home/utterance.js';
import { recognise } from './wordings/recognise.js';
import { REFUSAL_KINDS } from './refusal-examples.js';

describe('examples of every task type', () => {
  it('have the media their prompt needs and answers consistent with the world rules (tables’ wordings)', () => {
    const rng = new Rng(21);
    const byText = new Map(allUtterances().map((u) => [u.text, u]));
    for (let i = 0; i < 300; i++) {
      for (const type of TASK_TYPES) {
        const e = sampleExample(rng, type);
        assert.equal(e.type, type);
        textExampleSchema.parse(toTextExample(e));
        if (type === 'refusal') continue; // below, for every wording
        if (type === 'spoken_question') {
          assert.equal(e.prompt, SPOKEN_QUESTION_PROMPT);
          assert.ok(inScopePrompts().includes(e.spoken!), e.spoken!);
        } else if (type === 'transcribe' || type === 'intent' || type === 'respond') {
          const u = byText.get(e.spoken!)!;
          assert.ok(u, e.spoken!);
          const expected =
            type === 'transcribe' ? u.text : type === 'intent' ? intentJson(u.intent) : respondTo(u.intent);
          assert.equal(e.answer, expected);
          assert.ok(inScopePrompts().includes(e.prompt), e.prompt);
        } else {
          assert.ok(inScopePrompts().includes(e.prompt), e.prompt);
        }
      }
    }
  });

  for (const wording of ['table', 'train', 'heldout'] as const) {
    it(`in ${wording} wordings: the prompt asks for the task, the answer is the world's (${wording})`, () => {
      const rng = new Rng(5);
      for (let i = 0; i < 150; i++) {
        for (const type of TASK_TYPES) {
          if (type === 'refusal') continue;
          const e = sampleExample(rng, type, { wording });
          textExampleSchema.parse(toTextExample(e));
          const r = recognise(e.prompt);
          assert.ok(r, `${type}: "${e.prompt}" is not recognised`);
          if (type === 'spoken_question') {
            assert.equal(r.task, 'spoken_question', e.prompt);
            const asked = recognise(e.spoken!);
            assert.ok(asked?.task === 'shapes', `spoken "${e.spoken}"`);
            assert.equal(e.answer, answerQuestion(e.scene!, asked.question), e.spoken!);
            assert.equal(e.spoken, e.spoken!.toLowerCase().replace(/[^a-z ]/g, ''), 'speech is written plain');
          } else if (type === 'transcribe' || type === 'intent' || type === 'respond') {
            assert.equal(r.task, type, e.prompt);
            assert.equal(e.scene, null);
          } else {
            assert.ok(r.task === 'shapes', e.prompt);
            assert.equal(e.answer, answerQuestion(e.scene!, r.question), e.prompt);
            assert.equal(r.question.type, type, e.prompt);
          }
        }
      }
    });
  }

  it('never gives a held-out prompt that a trained frame and trained decorations could have given', () => {
    const rng = new Rng(8);
    for (let i = 0; i < 400; i++) {
      for (const type of TASK_TYPES) {
        if (type === 'refusal') continue;
        const e = sampleExample(rng, type, { wording: 'heldout' });
        assert.equal(recognise(e.prompt, ['train']), undefined, `${type}: held-out "${e.prompt}" is a trained wording`);
      }
    }
  });

  for (const wording of ['table', 'train', 'heldout'] as const) {
    it(`refusals (${wording}): every kind comes, and an in-scope prompt comes only without its media`, () => {
      const rng = new Rng(13);
      const kinds = new Set<string>();
      for (let i = 0; i < 1500; i++) {
        const e = sampleExample(rng, 'refusal', { wording });
        assert.equal(e.answer, REFUSAL);
        kinds.add(e.refusalKind!);
        const r = recognise(e.prompt);
        if (!r) continue;
        assert.equal(e.refusalKind, 'wrong_medium', `"${e.prompt}" (${e.refusalKind}) is in scope`);
        if (r.task === 'shapes') assert.equal(e.scene, null, e.prompt);
        else if (r.task === 'spoken_question') assert.ok(e.scene === null || e.spoken === null, e.prompt);
        else assert.equal(e.spoken, null, e.prompt);
      }
      assert.deepEqual([...kinds].sort(), [...REFUSAL_KINDS].sort());
    });
  }

  it('keep a refusal’s kind in the text form, and give no kind to an in-scope example', () => {
    const rng = new Rng(17);
    const inScopeTypes = TASK_TYPES.filter((t) => t !== 'refusal');
    for (let i = 0; i < 200; i++) {
      const refusal = sampleExample(rng, 'refusal', { wording: 'heldout' });
      assert.ok(refusal.refusalKind);
      assert.equal(textExampleSchema.parse(toTextExample(refusal)).refusalKind, refusal.refusalKind);
      const inScope = toTextExample(sampleExample(rng, inScopeTypes[i % inScopeTypes.length]!, { wording: 'train' }));
      assert.equal('refusalKind' in inScope, false, inScope.prompt);
    }
  });

  it('refuses shuffled words only when no two of them stay neighbours', () => {
    const rng = new Rng(3);
    let n = 0;
    for (let i = 0; i < 3000 && n < 100; i++) {
      const e = sampleExample(rng, 'refusal', { wording: 'train' });
      if (e.refusalKind !== 'shuffled') continue;
      n++;
      assert.equal(recognise(e.prompt), undefined, e.prompt);
    }
    assert.ok(n >= 50);
  });

  it('draws the tables’ wordings exactly as before (the standard evaluation stays comparable)', () => {
    // Drawn with seed 77 by tools/worlds as it was before the wordings (commit f3b22bd), refusals left out.
    const before: readonly string[] = [
      'what color is the triangle||yellow',
      'what shape is the red object||diamond',
      'how many shapes are there||4',
      'how many red shapes are there||0',
      'is there a purple star||no',
      'where is the triangle||top center',
      'describe the image||a yellow triangle at the top left, a purple diamond at the bottom center, a green circle at the bottom right',
      'what did the speaker say|increase the volume in the washroom|increase the volume in the washroom',
      'extract the intent as json|set the language to korean|{"action": "change_language", "object": "korean", "location": "none"}',
      'respond to the request|change language to english|ok, switching the language to english',
      'answer the spoken question|what shape is the orange object|star',
      'what color is the star||red',
      'what shape is the blue object||star',
      'how many shapes are there||4',
      'how many black shapes are there||1',
      'is there a black star||no',
      'where is the square||top right',
      'describe the image||a yellow triangle at the middle left, a purple star at the bottom left, a green circle at the bottom right',
      'what did the speaker say|make it quieter in the washroom|make it quieter in the washroom',
      'what is the intent|i need more heat in the washroom|{"action": "increase", "object": "heat", "location": "washroom"}',
      'respond to the request|turn down the heat|ok, turning down the heat',
      'answer the spoken question|where is the star|there is no star',
      'what color is the triangle||yellow',
      'what shape is the blue object||there is more than one blue object',
      'how many shapes are there||1',
      'how many orange shapes are there||1',
      'is there a green triangle||no',
      'where is the triangle||middle center',
      'describe the image||a yellow square at the middle left, a green star at the middle right, a purple circle at the bottom left, a blue triangle at the bottom center',
      'transcribe the audio|more volume please|more volume please',
      'extract the intent as json|turn down the volume in the bedroom|{"action": "decrease", "object": "volume", "location": "bedroom"}',
      'respond to the request|switch the lights off in the washroom|ok, turning off the lights in the washroom',
      'answer the spoken question|what shape is the purple object|triangle',
    ];
    const rng = new Rng(77);
    const now: string[] = [];
    for (let i = 0; i < 3; i++)
      for (const type of TASK_TYPES) {
        if (type === 'refusal') continue;
        const e = sampleExample(rng, type);
        now.push(`${e.prompt}|${e.spoken ?? ''}|${e.answer}`);
      }
    assert.deepEqual(now, before);
  });

  it('are reproducible from a seed', () => {
    for (const wording of ['table', 'train', 'heldout'] as const) {
      const a = new Rng(4);
      const b = new Rng(4);
      for (const type of TASK_TYPES)
        assert.deepEqual(sampleExample(a, type, { wording }), sampleExample(b, type, { wording }));
    }
  });
});
