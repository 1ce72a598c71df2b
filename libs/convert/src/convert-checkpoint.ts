/**
 * `convertCheckpoint`: a Hugging Face checkpoint folder → a model bundle (docs/bundle-format.md)
 * whose graphs meet the LM graph contract. Everything that can be wrong with the checkpoint
 * (config, tensors, tokenizer, special tokens, chat template) is checked before anything is
 * written; the weights then stream from the safetensors files into the graph files.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { type Manifest, TextTokenizer, UnmaskError } from '@unmask/core';
import { z } from 'zod';
import { maxBatchSizeFor } from './bundle/batch-size.js';
import { makeManifest, readBundleMetadata } from './bundle/bundle-metadata.js';
import { type LmArchitecture, readArchitecture } from './lm/checkpoint-config.js';
import { CheckpointTensors } from './checkpoint/checkpoint-tensors.js';
import { type DecodingFamily, familyDecoding } from './bundle/decoding-defaults.js';
import { DEFAULT_LM_OPS, LM_OPS } from './lm/lm-contrib-layers.js';
import { buildEmbedGraph, buildLmGraph } from './lm/lm-graph.js';
import type { WrittenGraph } from './onnx/onnx-graph-builder.js';
import { checkTensors } from './lm/tensor-layout.js';
import { NBITS_BLOCK_SIZE, NBITS_BLOCK_SIZES, WEIGHT_FORMATS } from './weights/weight-format.js';

export { DEFAULT_LM_OPS, LM_OPS, type LmOps } from './lm/lm-contrib-layers.js';
export {
  NBITS_BLOCK_SIZE,
  NBITS_BLOCK_SIZES,
  type NBitsBlockSize,
  WEIGHT_FORMATS,
  type WeightFormat,
} from './weights/weight-format.js';
/** The formats the converter writes (all of WEIGHT_FORMATS). */
export const SUPPORTED_WEIGHT_FORMATS = WEIGHT_FORMATS;

export const convertOptionsSchema = z.object({
  from: z.string().min(1),
  to: z.string().min(1),
  weights: z.enum(WEIGHT_FORMATS).default('fp32'),
  /** The LM graph's layers in standard ONNX operators or onnxruntime's contrib operators (lm-contrib-layers.ts). */
  ops: z.enum(LM_OPS).default(DEFAULT_LM_OPS),
  /**
   * MatMulNBits' block along K for int8 / int4 (default 128: resident memory 1.06× / 1.12× the
   * weights' file size; 32 quantises finer at 1.22× / 1.40×; weight-format.ts).
   */
  blockSize: z.literal(NBITS_BLOCK_SIZES).default(NBITS_BLOCK_SIZE),
  /** `lm.max_batch_size` in the manifest (default: by the measured rule of bundle/batch-size.ts). */
  maxBatchSize: z.number().int().positive().optional(),
  /** Bundle name in the manifest (default: the checkpoint folder's name). */
  name: z.string().min(1).optional(),
  /** Initializer bytes per graph above which weights go to `<graph>.onnx.data`. */
  externalDataThreshold: z.number().int().nonnegative().optional(),
  /** Name prefixes of tensors that are not the LM's (vision / audio towers), left for their own graphs. */
  ignoreTensorPrefixes: z.array(z.string().min(1)).default([]),
});
export type ConvertOptions = z.input<typeof convertOptionsSchema>;

export interface ConvertProgress {
  /** `embed.onnx`, `lm.onnx`, or a tower (`vision`, `audio`) when a multimodal checkpoint is converted. */
  readonly graph: string;
  readonly tensor: string;
  readonly done: number;
  readonly total: number;
}

export interface ConvertResult {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly architecture: LmArchitecture;
  readonly graphs: readonly WrittenGraph[];
  readonly chatTemplateSource: string;
  /** The family whose upstream decoding defaults the manifest's `decoding` section holds. */
  readonly decodingFamily: DecodingFamily;
  /** What the bundle does differently from the original model (also for the CLI to print). */
  readonly notes: readonly string[];
}

/**
 * `lm` replaces the architecture read from config.json (a multimodal checkpoint's LM part, whose
 * fields may sit in a nested config and whose tensors under a prefix); `family` names whose
 * decoding defaults the manifest gets (default: Dream for shifted logits, else LLaDA).
 */
export function convertCheckpoint(
  input: ConvertOptions,
  onProgress?: (progress: ConvertProgress) => void,
  lm?: LmArchitecture,
  family?: DecodingFamily,
): ConvertResult {
  const parsed = convertOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UnmaskError(
      'invalid_parameter',
      `${issue.path.join('.')}: ${issue.message}`,
      String(issue.path[0] ?? 'options'),
    );
  }
  const options = parsed.data;
  const from = resolve(options.from);
  const to = resolve(options.to);
  if (!existsSync(from) || !statSync(from).isDirectory())
    throw new UnmaskError('invalid_parameter', `${from}: the checkpoint folder does not exist`, 'from');
  if (existsSync(to) && (!statSync(to).isDirectory() || readdirSync(to).length > 0)) {
    throw new UnmaskError('invalid_parameter', `${to}: the bundle folder must not exist yet or be empty`, 'to');
  }

  const architecture = lm ?? readArchitecture(from);
  const checkpoint = CheckpointTensors.open(from);
  checkTensors(architecture, checkpoint, options.ignoreTensorPrefixes);
  const metadata = readBundleMetadata(from, architecture);
  const name = options.name ?? basename(from);
  const decodingFamily = family ?? (architecture.shiftedLogits ? 'dream' : 'llada');
  const decoding = familyDecoding(
    decodingFamily,
    TextTokenizer.fromFile(metadata.tokenizerFile, metadata.tokenizerConfigFile),
  );
  const manifest = makeManifest(
    name,
    architecture,
    metadata,
    `${architecture.modelType} checkpoint ${basename(from)} converted by unmask convert (${options.weights} weights, ${options.ops} operators, ${architecture.layout} tensor layout)`,
    options.weights,
    decoding.section,
    options.maxBatchSize ?? maxBatchSizeFor(options.weights, architecture),
  );

  const created = !existsSync(to);
  mkdirSync(to, { recursive: true });
  const write = (graph: 'embed.onnx' | 'lm.onnx', builder: ReturnType<typeof buildEmbedGraph>) =>
    builder.write(join(to, graph), {
      ...(options.externalDataThreshold === undefined ? {} : { externalDataThreshold: options.externalDataThreshold }),
      onInitializer: (tensor, done, total) => onProgress?.({ graph, tensor, done, total }),
    });
  let graphs: WrittenGraph[];
  try {
    graphs = [
      write('embed.onnx', buildEmbedGraph(architecture, checkpoint, options.weights)),
      write('lm.onnx', buildLmGraph(architecture, checkpoint, options.weights, options.ops, options.blockSize)),
    ];
    copyFileSync(metadata.tokenizerFile, join(to, 'tokenizer.json'));
    if (metadata.tokenizerConfigFile) copyFileSync(metadata.tokenizerConfigFile, join(to, 'tokenizer_config.json'));
    writeFileSync(join(to, 'chat_template.jinja'), metadata.chatTemplate);
    writeFileSync(join(to, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  } catch (error) {
    // A half-written bundle must not look like a bundle: remove what this run wrote.
    if (created) rmSync(to, { recursive: true, force: true });
    else for (const file of readdirSync(to)) rmSync(join(to, file), { recursive: true, force: true });
    throw error;
  }
  return {
    dir: to,
    manifest,
    architecture,
    graphs,
    chatTemplateSource: metadata.chatTemplateSource,
    decodingFamily,
    notes: decoding.notes,
  };
}
