/**
 * make_pairs.ts turns each clip of an audio set into the examples the audio stages train on: a
 * command into a transcript, an intent and a response; an everyday English sentence (a `copy`
 * clip, tools/datagen `--copy-share`) into a transcript alone, since it asks nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAudioSet } from '../datagen/audio-set.js';
import { REFUSAL, Rng } from '../worlds/src/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('make_pairs: the audio stages’ examples, clip by clip', () => {
  it('pairs a command clip with its transcript, intent and response, and a copy clip with its transcript only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pairs-'));
    const audio = join(dir, 'audio');
    // Seed 25 for the copy stream makes clips 2, 3 and 4 of 6 copy clips (datasets.test.ts).
    writeAudioSet({ count: 6, rng: new Rng(11), out: audio, questionShare: 0, copy: { share: 0.5, rng: new Rng(25) } });
    const out = join(dir, 'pairs.jsonl');
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'tools/train/make_pairs.ts',
        '--audio',
        audio,
        '--refusals',
        '0',
        '--seed',
        '3',
        '--out',
        out,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const clips = readFileSync(join(audio, 'clips.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; kind: string });
    const pairs = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { audio: number; type: string; spoken: string; answer: string });
    assert.deepEqual(
      clips.map((c) => c.kind),
      ['command', 'command', 'copy', 'copy', 'copy', 'command'],
    );
    clips.forEach((clip, i) => {
      const own = pairs.filter((p) => p.audio === i);
      assert.ok(own.every((p) => p.spoken === clip.text && p.answer !== REFUSAL));
      if (clip.kind === 'copy') {
        assert.deepEqual(
          own.map((p) => [p.type, p.answer]),
          [['transcribe', clip.text]],
        );
      } else {
        assert.deepEqual(
          own.map((p) => p.type),
          ['transcribe', 'intent', 'respond'],
        );
      }
    });
  });
});
