/**
 * Generates training or evaluation data for the default model through the runtime's own
 * preprocessing (libs/vision, libs/audio):
 *
 *   node --import tsx tools/datagen/generate.ts images --count 8000 --seed 1 --out tmp/data/images-train
 *   node --import tsx tools/datagen/generate.ts audio  --count 4000 --seed 2 --out tmp/data/audio-train
 *
 * `--aliased-share P` (audio) resamples that share of clips by nearest sample (aliasing), drawn
 * from a stream of its own (seed + 1): the other clips stay the ones the seed gives without it.
 * `--copy-share P` (audio) gives that share of clips an everyday English sentence to speak instead of
 * their command or question (kind `copy`, transcribed only), drawn from a stream of its own (seed + 2).
 */
import { parseArgs } from 'node:util';
import { Rng } from '../worlds/src/index.js';
import { writeAudioSet } from './audio-set.js';
import { writeImageSet } from './image-set.js';

function progress(label: string, total: number): (done: number) => void {
  const started = Date.now();
  return (done) => {
    if (done % 50 !== 0 && done !== total) return;
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(
      `\r${label}: ${done}/${total} (${seconds.toFixed(0)} s, ${(done / seconds).toFixed(1)}/s)${done === total ? '\n' : ''}`,
    );
  };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      count: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      'question-share': { type: 'string' },
      wording: { type: 'string', default: 'train' },
      'aliased-share': { type: 'string', default: '0' },
      'copy-share': { type: 'string', default: '0' },
    },
  });
  const kind = positionals[0];
  const count = Number(values.count ?? '100');
  const seed = Number(values.seed ?? '1');
  const aliasedShare = Number(values['aliased-share']);
  const copyShare = Number(values['copy-share']);
  if (
    !['images', 'audio'].includes(kind ?? '') ||
    !Number.isInteger(count) ||
    count < 1 ||
    !Number.isInteger(seed) ||
    !values.out ||
    !['table', 'train'].includes(values.wording ?? '')
  ) {
    process.stderr.write(
      'usage: generate.ts images|audio --count N --seed N --out DIR [--question-share P] [--wording table|train] [--aliased-share P] [--copy-share P]\n',
    );
    return 2;
  }
  for (const [flag, share] of [
    ['aliased-share', aliasedShare],
    ['copy-share', copyShare],
  ] as const)
    if (!(share >= 0 && share <= 1)) {
      process.stderr.write(`--${flag}: a share between 0 and 1, got ${values[flag]}\n`);
      return 2;
    }
  const rng = new Rng(seed);
  if (kind === 'images') await writeImageSet({ count, rng, out: values.out, onProgress: progress('images', count) });
  else {
    const share = values['question-share'] === undefined ? undefined : Number(values['question-share']);
    writeAudioSet({
      count,
      rng,
      out: values.out,
      ...(share !== undefined ? { questionShare: share } : {}),
      wording: values.wording === 'table' ? ('table' as const) : ('train' as const),
      ...(aliasedShare > 0 ? { aliased: { share: aliasedShare, rng: new Rng(seed + 1) } } : {}),
      ...(copyShare > 0 ? { copy: { share: copyShare, rng: new Rng(seed + 2) } } : {}),
      onProgress: progress('audio', count),
    });
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
