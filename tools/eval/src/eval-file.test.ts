import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEvalSet, writeSampleEvalSet } from './eval-file.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-eval-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the evaluation set', () => {
  it('draws a text-only sample from the worlds that reads back as {prompt, answer}', async () => {
    const path = await writeSampleEvalSet(join(dir, 'text'), { count: 8, seed: 3, images: false, audio: false });
    const items = loadEvalSet(path);
    assert.equal(items.length, 8);
    for (const item of items) {
      assert.ok(item.prompt.length > 0);
      assert.equal(item.image, undefined);
      assert.equal(item.audio, undefined);
    }
  });

  it('draws the same examples with images, whose scenes leave the prompt for a PNG file', async () => {
    const text = loadEvalSet(
      await writeSampleEvalSet(join(dir, 't2'), { count: 8, seed: 3, images: false, audio: false }),
    );
    const media = loadEvalSet(
      await writeSampleEvalSet(join(dir, 'img'), { count: 8, seed: 3, images: true, audio: false }),
    );
    assert.deepEqual(
      media.map((m) => m.answer),
      text.map((t) => t.answer),
    );
    const withImage = media.filter((m) => m.imageBytes);
    assert.ok(withImage.length > 0);
    for (const m of withImage)
      assert.deepEqual([...m.imageBytes!.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  });

  it('draws a third of the default sample as long-prompt examples, marked, with slow audio when asked', async () => {
    const items = loadEvalSet(
      await writeSampleEvalSet(join(dir, 'long'), { count: 6, seed: 3, images: false, audio: true }),
    );
    assert.deepEqual(
      items.map((m) => m.long === true),
      [false, false, true, false, false, true],
    );
    for (const m of items.filter((x) => x.long)) {
      assert.ok(m.type === 'spoken_question' || m.type === 'transcribe' || m.type === 'intent' || m.type === 'respond');
      assert.ok(m.audioBytes && m.audioBytes.length > 44);
    }
  });

  it('keeps the other examples the task types in turn whatever the long share', async () => {
    const none = loadEvalSet(
      await writeSampleEvalSet(join(dir, 'share0'), { count: 4, seed: 3, images: false, audio: false, longShare: 0 }),
    );
    const third = loadEvalSet(
      await writeSampleEvalSet(join(dir, 'share3'), { count: 6, seed: 3, images: false, audio: false }),
    );
    assert.deepEqual(
      third.filter((m) => !m.long).map((m) => [m.type, m.prompt, m.answer]),
      none.map((m) => [m.type, m.prompt, m.answer]),
    );
    await assert.rejects(
      writeSampleEvalSet(join(dir, 'bad'), { count: 2, seed: 3, images: false, audio: false, longShare: 2 }),
      /longShare must be between 0 and 1/,
    );
  });

  it('names the file and line of a malformed example', () => {
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, '{"prompt": "hi", "answer": "yes"}\n{"prompt": "", "answer": "no"}\n');
    assert.throws(
      () => loadEvalSet(path),
      (e: Error) => e.message.startsWith(`${path}:2: prompt`),
    );
    writeFileSync(path, 'not json\n');
    assert.throws(() => loadEvalSet(path), /bad\.jsonl:1: not JSON/);
  });

  it('refuses an empty file', () => {
    const path = join(dir, 'empty.jsonl');
    writeFileSync(path, '\n');
    assert.throws(() => loadEvalSet(path), /no evaluation lines/);
  });
});
