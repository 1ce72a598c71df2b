/**
 * The people's-prompts probe takes its wanted answers from the demo's own samples: every case
 * names a sample and one of its suggested questions, and the list stays valid as the samples change.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { REFUSAL } from '../../worlds/src/index.js';
import { PEOPLE_CASES, resolveCases, SAMPLES_DIR } from './people-prompts.js';

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
