/**
 * Adds a vision or audio tower to a bundle folder the LM conversion wrote: the tower graphs
 * are written beside the LM graphs and `manifest.json` gets its `vision` / `audio` section
 * (and `special_tokens.image` / `.audio`), checked with core's manifest schema and the
 * preprocessing config with the schema of the library that will read it, before anything is
 * written. The runtime (libs/pipeline) then opens the towers from the manifest.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { whisperFeatureExtractorConfigSchema } from '@unmask/audio';
import { type Manifest, manifestSchema, type TokenRef, type TokensPerImage, UnmaskError } from '@unmask/core';
import { type AnyresConfig, parseAnyresConfig, parseImageProcessorConfig } from '@unmask/vision';
import type { OnnxGraphBuilder, WriteGraphOptions } from '../onnx/onnx-graph-builder.js';

export interface VisionAttachment {
  readonly encoder: OnnxGraphBuilder;
  readonly projector?: OnnxGraphBuilder;
  /** The placeholder token the prompt carries per image feature row. */
  readonly placeholder: TokenRef;
  readonly tokensPerImage: TokensPerImage;
  /** The checkpoint's `preprocessor_config.json` (an image processor config). */
  readonly processor: Record<string, unknown>;
  /**
   * LLaVA's anyres settings and learned newline row: written as `image_newline.safetensors` and
   * the manifest's `vision.anyres` (@unmask/vision's `anyresConfigSchema`).
   */
  readonly anyres?: {
    readonly image_aspect_ratio: AnyresConfig['image_aspect_ratio'];
    readonly image_grid_pinpoints: readonly (readonly [number, number])[];
    readonly mm_patch_merge_type: AnyresConfig['mm_patch_merge_type'];
    readonly image_newline: Float32Array;
  };
}

export interface AudioAttachment {
  readonly encoder: OnnxGraphBuilder;
  readonly adapter: OnnxGraphBuilder;
  readonly placeholder: TokenRef;
  /** The checkpoint's `preprocessor_config.json` (a WhisperFeatureExtractor config). */
  readonly featureExtractor: Record<string, unknown>;
}

const MANIFEST = 'manifest.json';
const NEWLINE_FILE = 'image_newline.safetensors';

/** The newline row as a safetensors file of one F32 tensor `image_newline` [hidden]. */
function writeNewline(path: string, row: Float32Array, hidden: number): void {
  if (row.length !== hidden)
    throw new UnmaskError(
      'invalid_bundle',
      `image_newline has ${row.length} values; the LM is ${hidden} wide`,
      'image_newline',
    );
  const json = JSON.stringify({ image_newline: { dtype: 'F32', shape: [hidden], data_offsets: [0, hidden * 4] } });
  // Padded with spaces to 8 bytes, so the data starts aligned.
  const header = Buffer.from(json.padEnd(Math.ceil(json.length / 8) * 8));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(path, Buffer.concat([length, header, Buffer.from(row.buffer, row.byteOffset, row.byteLength)]));
}

function readManifest(bundleDir: string): Manifest {
  const path = join(bundleDir, MANIFEST);
  if (!existsSync(path))
    throw new UnmaskError('invalid_bundle', `${bundleDir}: no ${MANIFEST}; convert the LM first`, MANIFEST);
  return manifestSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

/** Validates the updated manifest, then writes the graphs and the manifest (atomically). */
function update(
  bundleDir: string,
  manifest: unknown,
  graphs: ReadonlyArray<readonly [string, OnnxGraphBuilder]>,
  options: WriteGraphOptions,
): Manifest {
  const parsed = manifestSchema.safeParse(manifest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UnmaskError(
      'invalid_bundle',
      `${join(bundleDir, MANIFEST)}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      issue?.path.join('.'),
    );
  }
  for (const [file, graph] of graphs) graph.write(join(bundleDir, file), options);
  const path = join(bundleDir, MANIFEST);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(parsed.data, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return parsed.data;
}

/** Writes `vision.onnx` (and `projector.onnx`) into the bundle and adds the manifest's `vision` section. */
export function attachVision(
  bundleDir: string,
  attachment: VisionAttachment,
  options: WriteGraphOptions = {},
): Manifest {
  const manifest = readManifest(bundleDir);
  parseImageProcessorConfig(attachment.processor, `${bundleDir}: preprocessor config`);
  const graphs: [string, OnnxGraphBuilder][] = [['vision.onnx', attachment.encoder]];
  if (attachment.projector) graphs.push(['projector.onnx', attachment.projector]);
  const anyres = attachment.anyres && parseAnyresConfig({ ...attachment.anyres, image_newline: NEWLINE_FILE });
  if (anyres) writeNewline(join(bundleDir, NEWLINE_FILE), attachment.anyres!.image_newline, manifest.sizes.hidden_size);
  return update(
    bundleDir,
    {
      ...manifest,
      special_tokens: { ...manifest.special_tokens, image: attachment.placeholder },
      vision: {
        graph: 'vision.onnx',
        ...(attachment.projector ? { projector: 'projector.onnx' } : {}),
        placeholder: attachment.placeholder,
        tokens_per_image: attachment.tokensPerImage,
        processor: attachment.processor,
        ...(anyres ? { anyres } : {}),
      },
    },
    graphs,
    options,
  );
}

/** Writes `audio_encoder.onnx` and `audio_adapter.onnx` into the bundle and adds the manifest's `audio` section. */
export function attachAudio(bundleDir: string, attachment: AudioAttachment, options: WriteGraphOptions = {}): Manifest {
  const manifest = readManifest(bundleDir);
  const extractor = whisperFeatureExtractorConfigSchema.safeParse(attachment.featureExtractor);
  if (!extractor.success) {
    const issue = extractor.error.issues[0];
    throw new UnmaskError(
      'invalid_bundle',
      `${bundleDir}: feature extractor config: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      'feature_extractor',
    );
  }
  return update(
    bundleDir,
    {
      ...manifest,
      special_tokens: { ...manifest.special_tokens, audio: attachment.placeholder },
      audio: {
        encoder: 'audio_encoder.onnx',
        adapter: 'audio_adapter.onnx',
        placeholder: attachment.placeholder,
        feature_extractor: attachment.featureExtractor,
      },
    },
    [
      ['audio_encoder.onnx', attachment.encoder],
      ['audio_adapter.onnx', attachment.adapter],
    ],
    options,
  );
}
