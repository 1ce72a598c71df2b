import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../rng.js';
import { sampleExample, TASK_TYPES, toTextExample } from '../tasks.js';
import { addCopyTask, COPY_WORDS, copySequence, copyVocabulary } from './copy.js';
import { heldoutOnlyWords, knownWords } from './noise.js';

describe('the copy task: transcripts of word sequences that are no command', () => {
  it('draws its words from the trained spoken words, never a held-out one', () => {
    const vocabulary = copyVocabulary();
    for (const w of ['turn', 'lights', 'kitchen', 'circle', 'red', 'music']) assert.ok(vocabulary.includes(w), w);
    const heldout = heldoutOnlyWords();
    for (const w of vocabulary) assert.ok(!heldout.has(w), `"${w}" is a held-out word`);
  });

  it('makes sequences of 2 to 9 words, some of them made up', () => {
    const rng = new Rng(3);
    const known = knownWords();
    let madeUp = 0;
    let total = 0;
    const lengths = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const words = copySequence(rng).split(' ');
      lengths.add(words.length);
      assert.ok(words.length >= COPY_WORDS.min && words.length <= COPY_WORDS.max, words.join(' '));
      for (const w of words) {
        assert.match(w, /^[a-z]+$/);
        total++;
        if (!known.has(w)) madeUp++;
      }
    }
    assert.equal(lengths.size, COPY_WORDS.max - COPY_WORDS.min + 1);
    assert.ok(madeUp / total > 0.15 && madeUp / total < 0.25, `${madeUp} of ${total} made up`);
  });

  it('replaces the spoken words and the answer of a share p of transcripts, and nothing else', () => {
    const rng = new Rng(5);
    const copyRng = new Rng(6);
    let transcripts = 0;
    let copied = 0;
    for (let i = 0; i < 3000; i++) {
      const e = toTextExample(sampleExample(rng, rng.pick(TASK_TYPES)));
      const out = addCopyTask(copyRng, e, 0.3);
      if (e.type !== 'transcribe') {
        assert.deepEqual(out, e);
        continue;
      }
      transcripts++;
      assert.equal(out.prompt, e.prompt);
      assert.equal(out.answer, out.spoken);
      if (out.spoken !== e.spoken) copied++;
    }
    assert.ok(transcripts > 100);
    assert.ok(copied / transcripts > 0.2 && copied / transcripts < 0.4, `${copied} of ${transcripts}`);
    const transcript = toTextExample(sampleExample(new Rng(2), 'transcribe'));
    assert.deepEqual(addCopyTask(new Rng(1), transcript, 0), transcript);
  });
});
