import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ACTIONS, CONFIRMATIONS, OBJECTS_BY_ACTION, WORDINGS } from './home/spec.js';
import { allUtterances } from './home/utterance.js';
import {
  ATTRIBUTE_FRAMES,
  HELDOUT_OFF_TOPIC_PROMPTS,
  OFF_TOPIC_FILLERS,
  OFF_TOPIC_FRAMES,
  OFF_TOPIC_PROMPTS,
  OTHER_COLORS,
  OTHER_SHAPES,
  REFUSAL,
  WIDE_NEAR_MISSES,
} from './refusal.js';
import { DECORATIONS } from './wordings/decorate.js';
import { HELDOUT_WORDINGS, HOME_FRAMES, MORE_WORDINGS } from './wordings/home.js';
import { FILLER_WORDS } from './wordings/noise.js';
import { SHAPE_FRAMES } from './wordings/shapes.js';

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

describe('docs/worlds.md: the wordings', () => {
  it('lists every frame of both sets, the decorations, the further and held-out commands, and the refusal lists', () => {
    const code = (s: string) => `\`${s}\``;
    for (const sets of [...Object.values(SHAPE_FRAMES), ...Object.values(HOME_FRAMES)])
      for (const f of [...sets.train, ...sets.heldout]) assert.ok(doc.includes(code(f.template)), f.template);
    for (const d of Object.values(DECORATIONS))
      for (const list of Object.values(d)) for (const x of list) assert.ok(doc.includes(code(x)), x);
    for (const w of [MORE_WORDINGS, HELDOUT_WORDINGS])
      for (const action of ACTIONS) for (const x of w[action]) assert.ok(doc.includes(code(x.template)), x.template);
    for (const p of HELDOUT_OFF_TOPIC_PROMPTS) assert.ok(doc.includes(code(p)), p);
    for (const split of ['train', 'heldout'] as const) {
      for (const f of [...OFF_TOPIC_FRAMES[split], ...ATTRIBUTE_FRAMES[split]]) assert.ok(doc.includes(code(f)), f);
      for (const x of [...OTHER_SHAPES[split], ...OTHER_COLORS[split]]) assert.ok(doc.includes(code(x)), x);
      for (const list of Object.values(OFF_TOPIC_FILLERS[split]))
        for (const x of list) assert.ok(doc.includes(code(x)), x);
    }
    for (const list of Object.values(WIDE_NEAR_MISSES)) for (const x of list) assert.ok(doc.includes(code(x)), x);
  });

  it('lists the noise fillers of the training prompts, in order', () => {
    assert.ok(doc.includes(`Fillers:\n${FILLER_WORDS.map((f) => `\`${f}\``).join(', ')}.`));
  });
});
