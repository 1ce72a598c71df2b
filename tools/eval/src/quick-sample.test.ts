import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { parseWavHeader } from '@unmask/audio';
import { intentSchema, REFUSAL, SHAPE_QUESTION_TYPES, TASK_TYPES } from '../../worlds/src/index.js';
import { capWavFormat, IMAGE_BYTE_BUDGET, QUICK_SAMPLE_SEED, shrinkImage } from './make-quick-sample.js';
import { scoreStrategy, type Scored } from './metrics.js';
import { checkQuickThresholds, quickCheckTable, type QuickCheckThresholds } from './quick-check.js';
import { loadQuickSample, QUICK_SAMPLE_DIR, readQuickSampleManifest } from './quick-sample.js';

const TRAINING_AND_EVAL_SEEDS = [1, 101, 102, 201, 202, 999, 90001];

describe('the quick-check sample shipped in tools/eval/quick-sample', () => {
  const { manifest, samples } = loadQuickSample();
  const count = (type: string) => manifest.items.filter((i) => i.type === type).length;
  const files = (key: 'image' | 'audio') => new Set(manifest.items.flatMap((i) => (i[key] ? [i[key]] : [])));

  it('was drawn with a seed no training set and not the evaluation uses', () => {
    assert.equal(manifest.seed, QUICK_SAMPLE_SEED);
    assert.ok(!TRAINING_AND_EVAL_SEEDS.includes(manifest.seed));
  });

  it('asks every task type, each shapes question type (describe included) about at least ten images', () => {
    for (const t of SHAPE_QUESTION_TYPES) assert.ok(count(t) >= 10, `${t}: ${count(t)} items`);
    for (const t of TASK_TYPES) assert.ok(count(t) >= 10, `${t}: ${count(t)} items`);
    assert.ok(files('image').size >= 100, `${files('image').size} images`);
    assert.ok(files('audio').size >= 45, `${files('audio').size} WAV files`);
  });

  it('asks each spoken command three questions about the same clip: transcript, intent and response', () => {
    const byClip = new Map<string, string[]>();
    for (const i of manifest.items.filter((x) => ['transcribe', 'intent', 'respond'].includes(x.type))) {
      assert.ok(i.audio, `${i.id} has no audio`);
      byClip.set(i.audio, [...(byClip.get(i.audio) ?? []), i.type]);
    }
    for (const [clip, types] of byClip) assert.deepEqual(types.sort(), ['intent', 'respond', 'transcribe'], clip);
  });

  it('expects answers of the right form: intents are JSON of the spec, refusals the spec sentence, spoken questions come with an image and a clip', () => {
    for (const i of manifest.items) {
      if (i.type === 'intent') intentSchema.parse(JSON.parse(i.answer));
      if (i.type === 'refusal') assert.equal(i.answer, REFUSAL, i.id);
      if (i.type === 'spoken_question') assert.ok(i.image && i.audio, i.id);
      if ((SHAPE_QUESTION_TYPES as readonly string[]).includes(i.type)) assert.ok(i.image && !i.audio, i.id);
    }
  });

  it('lists every media file it holds and only those, and loads them all', () => {
    for (const [folder, key] of [
      ['images', 'image'],
      ['audio', 'audio'],
    ] as const) {
      const onDisk = readdirSync(join(QUICK_SAMPLE_DIR, folder))
        .map((f) => `${folder}/${f}`)
        .sort();
      assert.deepEqual(onDisk, [...files(key)].sort());
    }
    assert.equal(samples.length, manifest.items.length);
    assert.ok(
      samples.every(
        (s, i) =>
          Boolean(s.image) === Boolean(manifest.items[i]!.image) &&
          Boolean(s.audio) === Boolean(manifest.items[i]!.audio),
      ),
    );
  });

  it('stays small: under 4 MB in all, images within their byte budget, WAVs at most 16 kHz, 16-bit, mono PCM', () => {
    let total = statSync(join(QUICK_SAMPLE_DIR, 'manifest.json')).size;
    for (const f of [...files('image'), ...files('audio')]) total += statSync(join(QUICK_SAMPLE_DIR, f)).size;
    assert.ok(total < 4_000_000, `${total} bytes`);
    for (const s of samples) {
      if (s.image) assert.ok(s.image.length <= IMAGE_BYTE_BUDGET, `item ${s.id}: ${s.image.length} bytes`);
      if (!s.audio) continue;
      const h = parseWavHeader(s.audio, `item ${s.id}`);
      assert.equal(h.encoding, 'pcm');
      assert.equal(h.channels, 1);
      assert.ok(
        h.sampleRate <= 16000 && h.bitsPerSample <= 16,
        `item ${s.id}: ${h.sampleRate} Hz, ${h.bitsPerSample} bits`,
      );
    }
  });
});

describe('the quick-sample manifest schema', () => {
  const write = (manifest: unknown) => {
    const dir = mkdtempSync(join(tmpdir(), 'quick-sample-'));
    mkdirSync(join(dir, 'images'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    return dir;
  };
  const item = {
    id: 'a',
    type: 'exists',
    prompt: 'is there a red circle',
    answer: 'yes',
    image: 'images/a.png',
    media: {},
  };

  it('rejects media paths outside the sample folder, duplicate ids and empty answers, naming the field', () => {
    for (const [bad, field] of [
      [{ ...item, image: '../secret.png' }, /items\.0\.image/],
      [{ ...item, answer: '' }, /items\.0\.answer/],
    ] as const) {
      const dir = write({ version: 1, seed: 1, generator: 'g', items: [bad] });
      assert.throws(() => readQuickSampleManifest(dir), field);
      rmSync(dir, { recursive: true });
    }
    const dir = write({ version: 1, seed: 1, generator: 'g', items: [item, item] });
    assert.throws(() => readQuickSampleManifest(dir), /duplicate id a/);
    rmSync(dir, { recursive: true });
  });

  it('names the item whose media file is missing', () => {
    const dir = write({ version: 1, seed: 1, generator: 'g', items: [item] });
    assert.throws(() => loadQuickSample(dir), /item a names images\/a\.png/);
    rmSync(dir, { recursive: true });
  });
});

describe('the quick check arithmetic', () => {
  const thresholds: QuickCheckThresholds = {
    shapes: { exact: 0.9, describe: 0.8 },
    home: { intent: 0.9, respond: 0.9, transcriptWer: 0.1 },
    both: { spokenQuestion: 0.75 },
    refusal: { refused: 0.9 },
    heldout: { shapes: 0.9, intent: 0.9, refused: 0.9 },
  };
  const rows = (over: Partial<Record<string, string>> = {}): Scored[] =>
    (
      ['color_of_shape', 'where', 'describe', 'transcribe', 'intent', 'respond', 'spoken_question', 'refusal'] as const
    ).map((type) => ({
      type,
      world: 'shapes',
      set: 'table',
      answer: 'turn on the lights',
      predicted: over[type] ?? 'turn on the lights',
      forwardPasses: 1,
      answerTokens: 4,
    }));

  it('passes every line when every answer is right and prints a row per type', () => {
    const score = scoreStrategy(rows());
    const checks = checkQuickThresholds(score, thresholds, score);
    assert.equal(checks.length, 10);
    assert.ok(checks.every((c) => c.pass));
    assert.match(quickCheckTable(score, checks), /^spoken_question +1 +100\.0%/m);
  });

  it('misses exactly the line whose answers are wrong, and transcripts by word error rate', () => {
    const checks = checkQuickThresholds(
      scoreStrategy(rows({ where: 'nowhere', transcribe: 'turn on the light' })),
      thresholds,
      scoreStrategy(rows({ intent: 'no' })),
    );
    assert.deepEqual(
      checks.filter((c) => !c.pass).map((c) => c.name),
      [checks[0]!.name, 'transcript word error rate', 'intent with held-out prompts and commands'],
    );
    assert.equal(checks[0]!.value, 0.5);
    assert.equal(checks.find((c) => c.name === 'transcript word error rate')!.value, 0.25);
  });

  it('fails a line with no items and refuses thresholds that are not shares', () => {
    const checks = checkQuickThresholds(scoreStrategy(rows().filter((r) => r.type !== 'refusal')), thresholds);
    assert.equal(checks.find((c) => c.world === 'refusal')!.pass, false);
    assert.ok(checks.filter((c) => c.world === 'heldout').every((c) => !c.pass && c.n === 0));
    assert.throws(() =>
      checkQuickThresholds(scoreStrategy(rows()), { ...thresholds, shapes: { exact: 97, describe: 0.9 } }),
    );
  });
});

describe('making the quick sample small', () => {
  it('caps WAV formats at 16 kHz, 16-bit, mono PCM and keeps smaller ones', () => {
    assert.deepEqual(capWavFormat({ sampleRate: 48000, bits: 32, encoding: 'float', channels: 2 }), {
      sampleRate: 16000,
      bits: 16,
      encoding: 'pcm',
      channels: 1,
    });
    assert.deepEqual(capWavFormat({ sampleRate: 8000, bits: 8, encoding: 'pcm', channels: 1 }), {
      sampleRate: 8000,
      bits: 8,
      encoding: 'pcm',
      channels: 1,
    });
  });

  it('downscales an image over the budget in its own format and says from what size', async () => {
    let x = 12345;
    const noise = Buffer.from(
      Array.from({ length: 400 * 300 * 3 }, () => 100 + ((x = (x * 1103515245 + 12345) >>> 0) >>> 28)),
    );
    const png = new Uint8Array(
      await sharp(noise, { raw: { width: 400, height: 300, channels: 3 } })
        .png()
        .toBuffer(),
    );
    assert.ok(png.length > IMAGE_BYTE_BUDGET);
    const small = await shrinkImage(png, { format: 'png' });
    const meta = await sharp(small.bytes).metadata();
    assert.equal(meta.format, 'png');
    assert.ok(small.bytes.length <= IMAGE_BYTE_BUDGET, `${small.bytes.length} bytes`);
    assert.ok(Math.abs(meta.width! / meta.height! - 4 / 3) < 0.05);
    assert.equal(small.media.shrunkFrom, '400x300');
  });
});
