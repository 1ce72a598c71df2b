/** `unmask convert`: a Hugging Face checkpoint folder → a model bundle, with a progress bar. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { convertModel, type ConvertProgress } from '@unmask/convert';
import type { Io } from './ask-command.js';
import { parseConvertArgs } from './convert-args.js';
import { CONVERT_HELP } from './help.js';

const BAR = 30;

/** One redrawn line on a terminal; one line per finished graph otherwise. */
function progressReporter(io: Io): (p: ConvertProgress) => void {
  const tty = io.stderr.isTTY === true;
  return ({ graph, tensor, done, total }) => {
    if (tty) {
      const filled = Math.round((done / total) * BAR);
      const name = tensor.length > 40 ? `…${tensor.slice(-39)}` : tensor;
      io.stderr.write(`\r\u001b[K${graph} [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${done}/${total} ${name}`);
      if (done === total) io.stderr.write('\n');
    } else if (done === total) {
      io.stderr.write(`${graph}: ${total} tensors written\n`);
    }
  };
}

export async function convertCommand(argv: string[], io: Io): Promise<number> {
  const inv = parseConvertArgs(argv);
  if (inv.help) {
    io.stdout.write(CONVERT_HELP);
    return 0;
  }
  const started = Date.now();
  const result = convertModel(
    {
      from: inv.from,
      to: inv.to,
      weights: inv.weights,
      ...(inv.ops ? { ops: inv.ops } : {}),
      ...(inv['block-size'] ? { blockSize: inv['block-size'] } : {}),
      ...(inv['max-batch-size'] ? { maxBatchSize: inv['max-batch-size'] } : {}),
      ...(inv.name ? { name: inv.name } : {}),
      ...(inv.lm ? { lm: inv.lm } : {}),
      ...(inv.whisper ? { whisper: inv.whisper } : {}),
    },
    progressReporter(io),
  );
  const { architecture: a, manifest } = result;
  const bytes = result.graphs.reduce((sum, g) => sum + g.initializerBytes, 0);
  const onDisk = readdirSync(result.dir).reduce((sum, file) => sum + statSync(join(result.dir, file)).size, 0);
  io.stderr.write(
    `${a.modelType} (${a.layout} layout): ${a.numLayers} layers, hidden ${a.hiddenSize}, ${a.numHeads}/${a.numKvHeads} heads, vocabulary ${a.vocabSize}; ` +
      `${(bytes / 1024 ** 2).toFixed(1)} MiB of ${inv.weights} weights in ${((Date.now() - started) / 1000).toFixed(1)} s; bundle ${(onDisk / 1024 ** 2).toFixed(1)} MiB on disk\n` +
      `chat template: ${result.chatTemplateSource}\n`,
  );
  const token = (ref: unknown) =>
    typeof ref === 'object' && ref !== null
      ? `${(ref as { token: string }).token} (${(ref as { id: number }).id})`
      : String(ref);
  const special = manifest.special_tokens;
  if (result.family !== 'lm') {
    const vision = manifest.vision;
    const anyres = vision?.anyres as { image_aspect_ratio?: string; image_grid_pinpoints?: unknown[] } | undefined;
    const perImage = !vision
      ? ''
      : anyres
        ? `${vision.tokens_per_image.kind === 'fixed' ? vision.tokens_per_image.count : '?'} tokens per view, ${anyres.image_aspect_ratio} over ${anyres.image_grid_pinpoints?.length} grids (tokens per image from its size)`
        : vision.tokens_per_image.kind === 'fixed'
          ? `${vision.tokens_per_image.count} tokens per image`
          : 'tokens per image from the grid';
    const media = vision
      ? `image placeholder ${token(special.image)}, ${perImage}`
      : `audio placeholder ${token(special.audio)}`;
    io.stderr.write(`${result.family}: towers ${result.towerGraphs.join(', ')}; ${media}\n`);
  }
  const decoding = manifest.decoding;
  if (decoding) {
    const sampling = Object.entries(decoding.sampling ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    io.stderr.write(
      `decoding defaults (${decoding.family}): ${decoding.strategy}${sampling ? `, ${sampling}` : ''}, max_tokens ${decoding.max_tokens ?? 'engine default'}\n`,
    );
  }
  for (const note of result.notes) io.stderr.write(`note: ${note}\n`);
  io.stderr.write(
    `special tokens: mask ${token(special.mask)}, eos ${token(special.eos)}, pad ${token(special.pad)}${special.bos === undefined ? '' : `, bos ${token(special.bos)}`}\n`,
  );
  io.stdout.write(`${result.dir}\n`);
  return 0;
}
