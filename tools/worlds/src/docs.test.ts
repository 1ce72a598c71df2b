import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ACTIONS, CONFIRMATIONS, OBJECTS_BY_ACTION, WORDINGS } from './home/spec.js';
import { allUtterances } from './home/utterance.js';
import { OFF_TOPIC_PROMPTS, REFUSAL } from './refusal.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/worlds.md', import.meta.url)), 'utf8');

describe('docs/worlds.md', () => {
  it('lists every wording of every action with its object restriction', () => {
    for (const action of ACTIONS) {
      assert.ok(
        doc.includes(`#### \`${action}\` (objects: ${OBJECTS_BY_ACTION[action].map((o) => `\`${o}\``).join(', ')})`),
        action,
      );
      WORDINGS[action].forEach((w, i) => {
        const restriction = w.objects ? ` (only ${w.objects.map((o) => `\`${o}\``).join(', ')})` : '';
        assert.ok(doc.includes(`${i + 1}. \`${w.template}\`${restriction}\n`), `${action}: ${w.template}`);
      });
    }
  });

  it('states every confirmation, the refusal and the off-topic prompts', () => {
    for (const action of ACTIONS) assert.ok(doc.includes(`| \`${action}\` | \`${CONFIRMATIONS[action]}\` |`), action);
    assert.ok(doc.includes(`\`${REFUSAL}\``));
    for (const p of OFF_TOPIC_PROMPTS) assert.ok(doc.includes(`\`${p}\``), p);
  });

  it('gives the right number of in-scope utterances', () => {
    assert.ok(doc.includes(`(${allUtterances().length} distinct utterances)`));
  });
});
