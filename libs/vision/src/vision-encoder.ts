/**
 * `VisionEncoder`: image → processor tensors → vision encoder graph → (optional) projector graph
 * → `image_embeds` [tokens, hidden], through the GraphRunner interface of @unmask/core, so the
 * graphs can run in-process or in the ONNX worker pool alike. Encoder and projector run as one
 * chain (core's `runChain`): in a worker, the encoder's hidden states stay there.
 *
 * Encoder inputs are fed by name: `pixel_values` (a leading batch dimension of 1 is added when
 * the graph's input has one more axis) and `image_grid_thw` (Qwen2-VL; built here from the
 * processor's numbers, in the integer type the graph declares). The projector, when there is
 * one, takes the encoder output on its single input.
 */
import {
  fitTensor,
  integerTensor,
  runChain,
  UnmaskError,
  type ChainLink,
  type GraphRunner,
  type TensorData,
} from '@unmask/core';
import type { ImageProcessor, ProcessedImage } from './image-processor.js';
import type { RgbImage } from './rgb-image.js';

export interface VisionEncoderOptions {
  readonly processor: ImageProcessor;
  readonly encoder: GraphRunner;
  readonly projector?: GraphRunner;
  readonly encoderOutput?: string;
  readonly projectorOutput?: string;
  /** Runs the processor elsewhere (a PreprocessThread); default: on the calling thread. */
  readonly preprocess?: (image: RgbImage) => Promise<ProcessedImage>;
}

export interface ImageFeatures {
  /** float32 [tokens, hidden]. */
  readonly image_embeds: TensorData;
  readonly tokens: number;
  readonly hidden: number;
  /** The processor's (t, h, w) in patches, when it has one (Qwen2-VL). */
  readonly image_grid_thw?: readonly [t: number, h: number, w: number];
}

const PREFERRED_OUTPUTS = ['image_embeds', 'image_features', 'last_hidden_state'];

function pickOutput(graph: GraphRunner, which: string, requested?: string): string {
  const names = graph.outputs.map((o) => o.name);
  if (requested !== undefined) {
    if (!names.includes(requested)) {
      throw new UnmaskError(
        'invalid_bundle',
        `${which} graph has no output '${requested}' (outputs: ${names.join(', ')})`,
        which,
      );
    }
    return requested;
  }
  if (names.length === 1) return names[0]!;
  const preferred = PREFERRED_OUTPUTS.find((n) => names.includes(n));
  if (preferred) return preferred;
  throw new UnmaskError(
    'invalid_bundle',
    `${which} graph has several outputs (${names.join(', ')}); name the one to use`,
    which,
  );
}

/** [1, tokens, hidden] or [tokens, hidden] float → [tokens, hidden] float32. */
function asMatrix(tensor: TensorData | undefined, which: string, name: string): TensorData {
  if (!tensor) throw new UnmaskError('runtime_error', `${which} graph returned no '${name}'`, which);
  const dims = tensor.dims.length === 3 && tensor.dims[0] === 1 ? tensor.dims.slice(1) : tensor.dims;
  if (dims.length !== 2 || !(tensor.data instanceof Float32Array) || tensor.data.length !== dims[0]! * dims[1]!) {
    throw new UnmaskError(
      'runtime_error',
      `${which} output '${name}' is [${tensor.dims.join(', ')}] ${tensor.type}; expected float [tokens, hidden]`,
      which,
    );
  }
  return { type: 'float32', dims, data: tensor.data };
}

export class VisionEncoder {
  readonly processor: ImageProcessor;
  private readonly options: VisionEncoderOptions;
  private readonly encoderOutput: string;
  private readonly projectorOutput: string | undefined;

  constructor(options: VisionEncoderOptions) {
    this.options = options;
    this.processor = options.processor;
    for (const input of options.encoder.inputs) {
      if (input.name !== 'pixel_values' && input.name !== 'image_grid_thw') {
        throw new UnmaskError(
          'invalid_bundle',
          `vision encoder graph input '${input.name}' is not one this runtime feeds (pixel_values, image_grid_thw)`,
          'encoder',
        );
      }
    }
    if (!options.encoder.inputs.some((i) => i.name === 'pixel_values')) {
      throw new UnmaskError('invalid_bundle', `vision encoder graph has no 'pixel_values' input`, 'encoder');
    }
    if (options.projector && options.projector.inputs.length !== 1) {
      throw new UnmaskError(
        'invalid_bundle',
        `projector graph must have exactly one input, has ${options.projector.inputs.length} (${options.projector.inputs.map((i) => i.name).join(', ')})`,
        'projector',
      );
    }
    this.encoderOutput = pickOutput(options.encoder, 'vision encoder', options.encoderOutput);
    this.projectorOutput = options.projector
      ? pickOutput(options.projector, 'projector', options.projectorOutput)
      : undefined;
  }

  /** Feature rows an image of this size yields, when the processor fixes it. */
  featureCount(width: number, height: number): number | undefined {
    return this.processor.featureCount(width, height);
  }

  async encode(image: RgbImage): Promise<ImageFeatures> {
    const processed = this.options.preprocess ? await this.options.preprocess(image) : this.processor.preprocess(image);
    const features = await this.encodeProcessed(processed);
    const expected = this.processor.featureCount(image.width, image.height);
    if (expected !== undefined && expected !== features.tokens) {
      throw new UnmaskError(
        'runtime_error',
        `${this.options.projector ? 'projector' : 'vision encoder'} produced ${features.tokens} feature rows for a ${image.width}×${image.height} image; processor ${this.processor.config.image_processor_type} implies ${expected}`,
        this.options.projector ? 'projector' : 'vision encoder',
      );
    }
    return features;
  }

  /** Runs the graphs on what a processor made (one image or one view of it). */
  async encodeProcessed(processed: ProcessedImage): Promise<ImageFeatures> {
    const label = 'vision encoder';
    const feeds: Record<string, TensorData> = {};
    for (const io of this.options.encoder.inputs) {
      if (io.name === 'pixel_values') feeds[io.name] = fitTensor(processed.pixel_values, io, label);
      else if (processed.image_grid_thw) feeds[io.name] = integerTensor(processed.image_grid_thw, [1, 3], io, label);
      else {
        throw new UnmaskError(
          'invalid_bundle',
          `vision encoder graph takes image_grid_thw, but processor ${this.processor.config.image_processor_type} produces none`,
          'encoder',
        );
      }
    }
    const links: ChainLink[] = [{ graph: this.options.encoder, label, feeds, outputs: [this.encoderOutput] }];
    const projector = this.options.projector;
    if (projector && this.projectorOutput) {
      const input = projector.inputs[0]!;
      links.push({
        graph: projector,
        label: 'projector',
        from: { [input.name]: this.encoderOutput },
        outputs: [this.projectorOutput],
      });
    }
    const last = links.at(-1)!;
    const name = last.outputs[0]!;
    const source = last.label;
    const features = (await runChain(links))[name];
    const matrix = asMatrix(features, source, name);
    const [tokens, hidden] = matrix.dims as [number, number];
    return {
      image_embeds: matrix,
      tokens,
      hidden,
      ...(processed.image_grid_thw ? { image_grid_thw: processed.image_grid_thw } : {}),
    };
  }
}
