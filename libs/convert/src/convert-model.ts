/**
 * `convertModel`: what `unmask convert` runs. A plain LM checkpoint goes through
 * `convertCheckpoint`; a multimodal one (LLaDA-V, DIFFA, Dimple; `multimodal-config.ts`) is converted
 * whole: the tower graphs are built (which checks every tower tensor) and the preprocessing config
 * read before anything is written, then the LM is converted with the towers' tensors left
 * alone, the placeholder token and the media-aware chat template are added, and the towers are
 * attached with the manifest's `vision` / `audio` section. A failure removes the bundle.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { whisperFeatureExtractorConfigSchema } from '@unmask/audio';
import { type Manifest, UnmaskError } from '@unmask/core';
import { parseImageProcessorConfig } from '@unmask/vision';
import type { LmArchitecture } from './lm/checkpoint-config.js';
import { readCheckpointJson } from './checkpoint/checkpoint-json.js';
import { CheckpointTensors } from './checkpoint/checkpoint-tensors.js';
import {
  convertCheckpoint,
  convertOptionsSchema,
  type ConvertOptions,
  type ConvertProgress,
  type ConvertResult,
} from './convert-checkpoint.js';
import { buildDiffaAdapterGraph } from './towers/diffa-adapter-graph.js';
import { type DiffaSources, diffaSources } from './families/diffa-sources.js';
import { dimpleImagePrompt, dimpleProcessorConfig } from './families/dimple-prompt.js';
import { DIFFA_PROMPT, type FamilyPrompt, LLADA_V_PROMPT } from './families/family-prompts.js';
import { ensurePlaceholderToken, mediaChatTemplate } from './bundle/media-placeholders.js';
import { checkpointTokenizerFile } from './bundle/slow-tokenizer.js';
import {
  type DiffaPlan,
  type DimplePlan,
  type LladaVPlan,
  type MultimodalPlan,
  multimodalPlan,
} from './families/multimodal-config.js';
import {
  buildMlpProjectorGraph,
  dimpleProjector,
  lladaVProjector,
  mlpProjectorShapes,
} from './towers/projector-graph.js';
import { buildQwen2VlVisionGraph } from './towers/qwen2-vl-vision-graph.js';
import { buildSiglipGraph } from './towers/siglip-graph.js';
import { checkTensorShapes } from './lm/tensor-layout.js';
import { attachAudio, attachVision } from './bundle/tower-bundle.js';
import type { WeightFormat } from './weights/weight-format.js';
import { buildWhisperEncoderGraph } from './towers/whisper-encoder-graph.js';

/** `unmask convert`'s options: the LM converter's, and DIFFA's other folders. */
export type ModelConvertOptions = ConvertOptions & {
  /** DIFFA: the LLaDA-8B-Instruct folder (default: in the DIFFA folder, else the one beside it). */
  readonly lm?: string;
  /** DIFFA: the Whisper folder (default: in the DIFFA folder, else the one beside it). */
  readonly whisper?: string;
};

export interface ModelConvertResult extends ConvertResult {
  /** `lm` for a plain language model. */
  readonly family: 'lm' | MultimodalPlan['kind'];
  /** Tower graph files written besides the LM's. */
  readonly towerGraphs: readonly string[];
}

/**
 * The name prefix under which the checkpoint stores the tensor `suffix` names (e.g. the LM's
 * embedding inside a larger model); exactly one tensor must end with it.
 */
function prefixOf(checkpoint: CheckpointTensors, suffixes: readonly string[], what: string): string {
  const found = [...checkpoint.tensors.keys()].flatMap((name) =>
    suffixes.filter((s) => name === s || name.endsWith(`.${s}`)).map((s) => name.slice(0, name.length - s.length)),
  );
  if (found.length === 0)
    throw new UnmaskError(
      'invalid_bundle',
      `${checkpoint.dir}: missing tensor "${suffixes[0]}" (${what}) under any name prefix`,
      suffixes[0],
    );
  if (found.length > 1)
    throw new UnmaskError(
      'invalid_bundle',
      `${checkpoint.dir}: ${what}: several tensors end in "${suffixes[0]}" (${found.map((p) => `"${p}"`).join(', ')}); cannot tell which is meant`,
      suffixes[0],
    );
  return found[0]!;
}

function lmWithPrefix(lm: LmArchitecture, checkpoint: CheckpointTensors): LmArchitecture {
  const embed = lm.layout === 'llada' ? 'model.transformer.wte.weight' : 'model.embed_tokens.weight';
  return { ...lm, tensorPrefix: prefixOf(checkpoint, [embed], "the language model's embedding") };
}

interface Towers {
  readonly ignore: readonly string[];
  readonly attach: (
    bundle: string,
    progress: (graph: string) => (tensor: string, done: number, total: number) => void,
  ) => Manifest;
  readonly graphs: readonly string[];
}

function lladaVTowers(
  plan: LladaVPlan,
  from: string,
  checkpoint: CheckpointTensors,
  lm: LmArchitecture,
  weights: WeightFormat,
): Towers {
  const processorFile = join(from, 'preprocessor_config.json');
  const processor = readCheckpointJson(processorFile, 'preprocessor_config.json (the SigLIP image processor settings)');
  parseImageProcessorConfig(processor, processorFile);
  const size = processor.size as { height?: unknown; width?: unknown } | undefined;
  if (size && (size.height !== plan.vision.image_size || size.width !== plan.vision.image_size)) {
    throw new UnmaskError(
      'invalid_bundle',
      `${processorFile}: size is ${JSON.stringify(size)}, but the vision tower takes ${plan.vision.image_size} × ${plan.vision.image_size} images (${plan.visionSource})`,
      'size',
    );
  }
  const prefix = prefixOf(checkpoint, ['embeddings.patch_embedding.weight'], 'the SigLIP tower');
  if (prefix === '')
    throw new UnmaskError(
      'invalid_bundle',
      `${checkpoint.dir}: the SigLIP tensors must sit under a name prefix (LLaDA-V: "model.vision_tower.vision_tower.vision_model.")`,
      'embeddings.patch_embedding.weight',
    );
  const encoder = buildSiglipGraph(plan.vision, checkpoint, {
    prefix,
    dropLastLayers: plan.dropLastLayers,
    postLayerNorm: false,
    weights,
  });
  const projector = buildMlpProjectorGraph(lladaVProjector(plan.mmHiddenSize, lm.hiddenSize), checkpoint, weights);
  // Rows per view; with anyres an image's rows follow from its size (vision.anyres).
  const tokens = Math.floor(plan.vision.image_size / plan.vision.patch_size) ** 2;
  const anyres = plan.anyres && {
    ...plan.anyres,
    image_newline: lladaVImageNewline(checkpoint, lm.hiddenSize),
  };
  return {
    // The tower, the projector, and LLaVA's image_newline (in vision.anyres, or unused: one view per image).
    ignore: [prefix, 'model.mm_projector.', 'model.image_newline'],
    graphs: ['vision.onnx', 'projector.onnx'],
    attach: (bundle, progress) => {
      const tokenizer = join(bundle, 'tokenizer.json');
      const id = ensurePlaceholderToken(tokenizer, LLADA_V_PROMPT.placeholder, lm.vocabSize);
      wrapTemplate(bundle, LLADA_V_PROMPT);
      return attachVision(
        bundle,
        {
          encoder,
          projector,
          placeholder: { token: LLADA_V_PROMPT.placeholder, id },
          tokensPerImage: { kind: 'fixed', count: tokens },
          // LLaVA's SigLipImageProcessor resizes with PIL (transformers' image_transforms.resize).
          processor: { ...processor, resize_arithmetic: processor.resize_arithmetic ?? 'pillow' },
          ...(anyres ? { anyres } : {}),
        },
        { onInitializer: progress('vision') },
      );
    },
  };
}

/** LLaVA's learned `image_newline` ([LM width]), the one tensor named so (LLaDA-V: `model.image_newline`). */
function lladaVImageNewline(checkpoint: CheckpointTensors, hidden: number): Float32Array {
  const name = `${prefixOf(checkpoint, ['image_newline'], "LLaVA's newline row (mm_patch_merge_type spatial_unpad)")}image_newline`;
  const shape = checkpoint.get(name).shape;
  if (shape.length !== 1 || shape[0] !== hidden)
    throw new UnmaskError(
      'invalid_bundle',
      `${checkpoint.dir}: tensor "${name}" is [${shape.join(', ')}]; the newline row must be [${hidden}] (the LM's width)`,
      name,
    );
  return checkpoint.readFloat32(name);
}

function diffaTowers(
  plan: DiffaPlan,
  checkpoint: CheckpointTensors,
  sources: DiffaSources,
  lm: LmArchitecture,
  weights: WeightFormat,
): Towers {
  const extractorFile = sources.whisper.featureExtractorFile;
  const featureExtractor = readCheckpointJson(
    extractorFile,
    'preprocessor_config.json (the Whisper feature extractor settings)',
  );
  const type = featureExtractor.feature_extractor_type ?? featureExtractor.image_processor_type;
  if (type !== undefined && type !== 'WhisperFeatureExtractor') {
    throw new UnmaskError(
      'invalid_bundle',
      `${extractorFile}: is a ${String(type)} config; DIFFA's audio needs a WhisperFeatureExtractor config`,
      'feature_extractor_type',
    );
  }
  const extractor = whisperFeatureExtractorConfigSchema.safeParse(featureExtractor);
  if (!extractor.success) {
    const issue = extractor.error.issues[0];
    throw new UnmaskError(
      'invalid_bundle',
      `${extractorFile}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      'feature_extractor',
    );
  }
  const whisperConfig = sources.whisper.config;
  if (extractor.data.feature_size !== whisperConfig.num_mel_bins) {
    throw new UnmaskError(
      'invalid_bundle',
      `${extractorFile}: feature_size is ${extractor.data.feature_size}, but the Whisper config's num_mel_bins is ${whisperConfig.num_mel_bins}`,
      'feature_size',
    );
  }
  const whisperCheckpoint = sources.whisper.checkpoint;
  const whisperPrefix = prefixOf(whisperCheckpoint, ['conv1.weight'], 'the Whisper encoder');
  if (whisperPrefix === '' && !sources.whisper.separate)
    throw new UnmaskError(
      'invalid_bundle',
      `${checkpoint.dir}: the Whisper encoder's tensors must sit under a name prefix`,
      'conv1.weight',
    );
  const encoder = buildWhisperEncoderGraph(whisperConfig, whisperCheckpoint, {
    prefix: whisperPrefix,
    hiddenStates: plan.adapter.taps,
    weights,
  });
  // The Q-Former's feed-forward width is BERT's default (3072) in DIFFA; the stored tensor says it.
  const intermediate =
    checkpoint.tensors.get(`${plan.adapter.acoustic}qformer.layer.0.intermediate.dense.weight`)?.shape[0] ??
    plan.adapter.qformerIntermediate;
  const adapter = buildDiffaAdapterGraph({ ...plan.adapter, qformerIntermediate: intermediate }, checkpoint, weights);
  const prompts = checkpoint.tensors.get('trainable_prompts.weight');
  if (prompts && (prompts.shape.length !== 2 || prompts.shape[1] !== plan.adapter.lmWidth))
    throw new UnmaskError(
      'invalid_bundle',
      `${checkpoint.dir}: tensor "trainable_prompts.weight" has shape [${prompts.shape.join(', ')}]; DIFFA's nn.Embedding(20, d) is [20, ${plan.adapter.lmWidth}]`,
      'trainable_prompts.weight',
    );
  // What the DIFFA folder may hold besides the adapters; anything else is refused by name.
  const known = [plan.adapter.semantic, plan.adapter.acoustic, ...sources.unused.map(([prefix]) => prefix)];
  if (!sources.whisper.separate) {
    known.push(whisperPrefix);
    // A whole Whisper model stored beside its encoder: the decoder is not used.
    if (whisperPrefix.endsWith('encoder.')) known.push(`${whisperPrefix.slice(0, -'encoder.'.length)}decoder.`);
  }
  if (sources.lm.separate)
    checkTensorShapes(
      `${checkpoint.dir} (DIFFA)`,
      new Map(),
      checkpoint,
      (name) => !known.some((prefix) => name.startsWith(prefix)),
    );
  return {
    ignore: sources.lm.separate ? [] : known,
    graphs: ['audio_encoder.onnx', 'audio_adapter.onnx'],
    attach: (bundle, progress) => {
      const id = ensurePlaceholderToken(join(bundle, 'tokenizer.json'), DIFFA_PROMPT.placeholder, lm.vocabSize);
      wrapTemplate(bundle, DIFFA_PROMPT);
      return attachAudio(
        bundle,
        { encoder, adapter, placeholder: { token: DIFFA_PROMPT.placeholder, id }, featureExtractor },
        { onInitializer: progress('audio') },
      );
    },
  };
}

function dimpleTowers(
  plan: DimplePlan,
  from: string,
  checkpoint: CheckpointTensors,
  lm: LmArchitecture,
  weights: WeightFormat,
): Towers {
  const processorFile = join(from, 'preprocessor_config.json');
  const processor = dimpleProcessorConfig(
    readCheckpointJson(processorFile, 'preprocessor_config.json (the Qwen2-VL image processor settings)'),
    plan.vision,
    processorFile,
  );
  const prompt = dimpleImagePrompt(plan, checkpointTokenizerFile(from), lm.vocabSize);
  const prefix = prefixOf(checkpoint, ['patch_embed.proj.weight'], 'the Qwen2.5-VL vision tower');
  if (prefix === '')
    throw new UnmaskError(
      'invalid_bundle',
      `${checkpoint.dir}: the vision tower's tensors must sit under a name prefix (Dimple: "visual.")`,
      'patch_embed.proj.weight',
    );
  const encoder = buildQwen2VlVisionGraph(plan.vision, checkpoint, { prefix, weights });
  const projectorLayout = dimpleProjector(plan.vision.out_hidden_size, lm.hiddenSize, plan.projectorActivation);
  const projector = buildMlpProjectorGraph(projectorLayout, checkpoint, weights);
  // Nothing else may sit under img_projector. (its prefix is left out of the LM's check).
  checkTensorShapes(`${checkpoint.dir} (Dimple projector)`, mlpProjectorShapes(projectorLayout), checkpoint, (name) =>
    name.startsWith('img_projector.'),
  );
  return {
    ignore: [prefix, 'img_projector.'],
    graphs: ['vision.onnx', 'projector.onnx'],
    attach: (bundle, progress) => {
      wrapTemplate(bundle, { mediaText: { image: prompt.text } });
      return attachVision(
        bundle,
        {
          encoder,
          projector,
          placeholder: prompt.placeholder,
          tokensPerImage: { kind: 'grid', merge_size: plan.vision.spatial_merge_size },
          processor,
        },
        { onInitializer: progress('vision') },
      );
    },
  };
}

function wrapTemplate(bundle: string, prompt: Pick<FamilyPrompt, 'mediaText' | 'systemPrompt' | 'chatTemplate'>): void {
  const file = join(bundle, 'chat_template.jinja');
  const template = prompt.chatTemplate ?? readFileSync(file, 'utf8');
  writeFileSync(file, mediaChatTemplate(template, prompt.mediaText, prompt.systemPrompt));
}

export function convertModel(
  input: ModelConvertOptions,
  onProgress?: (progress: ConvertProgress) => void,
): ModelConvertResult {
  const options = convertOptionsSchema.safeParse(input);
  const from = resolve(input.from ?? '');
  const configFile = join(from, 'config.json');
  const plan =
    options.success && existsSync(configFile)
      ? multimodalPlan(readCheckpointJson(configFile, 'config.json'), configFile)
      : undefined;
  if (!plan) return { ...convertCheckpoint(input, onProgress), family: 'lm', towerGraphs: [] };

  const weights = options.data!.weights;
  const checkpoint = CheckpointTensors.open(from);
  const sources = plan.kind === 'diffa' ? diffaSources(plan, from, checkpoint, input) : undefined;
  const lm = lmWithPrefix(sources?.lm.arch ?? plan.lm, sources?.lm.checkpoint ?? checkpoint);
  // Building the tower graphs checks all their tensors; nothing is written yet.
  const towers =
    plan.kind === 'llada-v'
      ? lladaVTowers(plan, from, checkpoint, lm, weights)
      : plan.kind === 'dimple'
        ? dimpleTowers(plan, from, checkpoint, lm, weights)
        : diffaTowers(plan, checkpoint, sources!, lm, weights);
  const notes = [...plan.notes];
  if (sources) {
    notes.push(
      `language model and tokenizer from ${sources.lm.source}; Whisper encoder and feature extractor from ${sources.whisper.source}`,
    );
    for (const [prefix, reason] of sources.unused) notes.push(`${prefix}* left out: ${reason}`);
  }
  const to = resolve(input.to);
  const existed = existsSync(to);
  const result = convertCheckpoint(
    {
      ...input,
      from: sources?.lm.dir ?? from,
      name: input.name ?? basename(from),
      ignoreTensorPrefixes: [...(input.ignoreTensorPrefixes ?? []), ...towers.ignore],
    },
    onProgress,
    lm,
    plan.kind,
  );
  let manifest: Manifest;
  try {
    manifest = towers.attach(
      result.dir,
      (graph) => (tensor, done, total) => onProgress?.({ graph, tensor, done, total }),
    );
  } catch (error) {
    if (!existed) rmSync(to, { recursive: true, force: true });
    else for (const file of readdirSync(to)) rmSync(join(to, file), { recursive: true, force: true });
    throw error;
  }
  return {
    ...result,
    manifest,
    family: plan.kind,
    towerGraphs: towers.graphs,
    notes: [...notes, ...result.notes],
  };
}
