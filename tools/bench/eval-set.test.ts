import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEvalSet, writeSampleEvalSet } from './eval-set.js';

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
    const text = loadEvalSet(await writeSampleEvalSet(join(dir, 't2'), { count: 8, seed: 3, images: false, audio: false }));
    const media = loadEvalSet(await writeSampleEvalSet(join(dir, 'img'), { count: 8, seed: 3, images: true, audio: false }));
    assert.deepEqual(media.map((m) => m.answer), text.map((t) => t.answer));
    const withImage = media.filter((m) => m.imageBytes);
    assert.ok(withImage.length > 0);
    for (const m of withImage) assert.deepEqual([...m.imageBytes!.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  });

  it('names the file and line of a malformed example', () => {
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, '{"prompt": "hi", "answer": "yes"}\n{"prompt": "", "answer": "no"}\n');
    assert.throws(() => loadEvalSet(path), (e: Error) => e.message.startsWith(`${path}:2: prompt`));
    writeFileSync(path, 'not json\n');
    assert.throws(() => loadEvalSet(path), /bad\.jsonl:1: not JSON/);
  });

  it('refuses an empty file', () => {
    const path = join(dir, 'empty.jsonl');
    writeFileSync(path, '\n');
    assert.throws(() => loadEvalSet(path), /no evaluation lines/);
  });
});
