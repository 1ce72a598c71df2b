/**
 * The people's-prompts probe takes its wanted answers from the demo's own samples: every case
 * names a sample and one of its suggested questions, and the list stays valid as the samples change.
 * The committed default model answers them (issue 16's "the demo's question box works for the ways
 * people ask"): build 7 gets 20 of 20; the floor is that less two, as the quick check's thresholds.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { defaultModelDir, Unmask } from '@unmask/pipeline';
import { REFUSAL } from '../../worlds/src/index.js';
import { askPeople, PEOPLE_CASES, resolveCases, SAMPLES_DIR } from './people-prompts.js';

const samplesJson = readFileSync(`${SAMPLES_DIR}samples.json`, 'utf8');

describe("issue 16's prompts as people type them, on the demo's samples", () => {
  it("wants each sample's own answer to the question a case means, and the refusal for the rest", () => {
    const cases = resolveCases(samplesJson);
    assert.equal(cases.length, PEOPLE_CASES.length);
    const circle = cases.find((c) => c.prompt === 'which color does the circle have');
    assert.equal(circle?.want, 'red', 'shapes-3.png has a red circle');
    assert.equal(cases.find((c) => c.prompt === 'transcribe')?.want, 'bring me my shoes');
    for (const c of cases.filter((c) => c.means === undefined)) assert.equal(c.want, REFUSAL);
    assert.ok(cases.some((c) => c.file?.endsWith('.wav')) && cases.some((c) => c.file?.endsWith('.png')));
  });

  it('refuses a case whose sample has no such question', () => {
    assert.throws(
      () => resolveCases(samplesJson, [{ file: 'shapes-3.png', prompt: 'hue?', means: 'what hue is the circle' }]),
      /no sample shapes-3.png with the question "what hue is the circle"/,
    );
  });
});

describe("the default model on issue 16's prompts as people type them", () => {
  let unmask: Unmask;
  before(async () => {
    unmask = await Unmask.load(defaultModelDir());
  });
  after(() => unmask.close());

  it("answers at least 18 of the 20 as the sample's own question would be answered, or refuses the off-topic ones", async () => {
    const answers = await askPeople(unmask, resolveCases(samplesJson));
    const wrong = answers.filter((a) => !a.right);
    const right = answers.length - wrong.length;
    const lines = wrong.map(
      (a) =>
        `${a.case.file ?? '(text)'} ${JSON.stringify(a.case.prompt)} -> ${JSON.stringify(a.text)}, want ${JSON.stringify(a.case.want)}`,
    );
    assert.ok(right >= 18, `${right} of ${answers.length} right:\n${lines.join('\n')}`);
  });
});
