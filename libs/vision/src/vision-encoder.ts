/**
 * `VisionEncoder`: image → processor tensors → vision encoder graph → (optional) projector graph
 * → `image_embeds` [tokens, hidden], through the GraphRunner interface of @unmask/core, so the
 * graphs can run in-process or in the ONNX worker pool alike.
 *
 * Encoder inputs are fed by name: `pixel_values` (a leading batch dimension of 1 is added when
 * the graph's input has one more axis) and `image_grid_thw` (Qwen2-VL). The projector, when
 * there is one, takes the encoder output on its single input.
 */
import { UnmaskError, type GraphIO, type GraphRunner, type TensorData } from '@unmask/core';
import type { ImageProcessor } from './image-processor.js';
import type { RgbImage } from './rgb-image.js';

export interface VisionEncoderOptions {
  readonly processor: ImageProcessor;
  readonly encoder: GraphRunner;
  readonly projector?: GraphRunner;
  readonly encoderOutput?: string;
  readonly projectorOutput?: string;
}

export interface ImageFeatures {
  /** float32 [tokens, hidden]. */
  readonly image_embeds: TensorData;
  readonly tokens: number;
  readonly hidden: number;
  readonly image_grid_thw?: TensorData;
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

/** Adapts `tensor` to the rank and element type the graph input declares. */
function fit(tensor: TensorData, io: GraphIO, which: string): TensorData {
  let dims = tensor.dims;
  if (io.dims.length === dims.length + 1) dims = [1, ...dims];
  else if (io.dims.length === dims.length - 1 && dims[0] === 1) dims = dims.slice(1);
  if (io.dims.length !== dims.length) {
    throw new UnmaskError(
      'invalid_bundle',
      `${which} graph input '${io.name}' has rank ${io.dims.length}, but the tensor for it is [${tensor.dims.join(', ')}]`,
      which,
    );
  }
  io.dims.forEach((d, i) => {
    if (typeof d === 'number' && d >= 0 && d !== dims[i]) {
      throw new UnmaskError(
        'invalid_bundle',
        `${which} graph input '${io.name}' expects [${io.dims.join(', ')}], got [${dims.join(', ')}]`,
        which,
      );
    }
  });
  if (io.type === tensor.type || (io.type === 'float16' && tensor.type === 'float32')) {
    return { type: io.type, dims, data: tensor.data };
  }
  if (io.type === 'int32' && tensor.type === 'int64') {
    return { type: 'int32', dims, data: Int32Array.from(tensor.data as BigInt64Array, Number) };
  }
  throw new UnmaskError(
    'invalid_bundle',
    `${which} graph input '${io.name}' has type ${io.type}, expected ${tensor.type}`,
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
    const processed = this.processor.preprocess(image);
    const feeds: Record<string, TensorData> = {};
    for (const io of this.options.encoder.inputs) {
      if (io.name === 'pixel_values') feeds[io.name] = fit(processed.pixel_values, io, 'vision encoder');
      else if (processed.image_grid_thw) feeds[io.name] = fit(processed.image_grid_thw, io, 'vision encoder');
      else {
        throw new UnmaskError(
          'invalid_bundle',
          `vision encoder graph takes image_grid_thw, but processor ${this.processor.config.image_processor_type} produces none`,
          'encoder',
        );
      }
    }
    const encoded = await this.options.encoder.run(feeds, [this.encoderOutput]);
    let features = encoded[this.encoderOutput];
    let source = 'vision encoder';
    let name = this.encoderOutput;
    const projector = this.options.projector;
    if (projector && this.projectorOutput) {
      if (!features)
        throw new UnmaskError('runtime_error', `vision encoder graph returned no '${this.encoderOutput}'`, 'encoder');
      const input = projector.inputs[0]!;
      const projected = await projector.run({ [input.name]: fit(features, input, 'projector') }, [
        this.projectorOutput,
      ]);
      features = projected[this.projectorOutput];
      source = 'projector';
      name = this.projectorOutput;
    }
    const matrix = asMatrix(features, source, name);
    const [tokens, hidden] = matrix.dims as [number, number];
    const expected = this.processor.featureCount(image.width, image.height);
    if (expected !== undefined && expected !== tokens) {
      throw new UnmaskError(
        'runtime_error',
        `${source} produced ${tokens} feature rows for a ${image.width}×${image.height} image; processor ${this.processor.config.image_processor_type} implies ${expected}`,
        source,
      );
    }
    return {
      image_embeds: matrix,
      tokens,
      hidden,
      ...(processed.image_grid_thw ? { image_grid_thw: processed.image_grid_thw } : {}),
    };
  }
}
