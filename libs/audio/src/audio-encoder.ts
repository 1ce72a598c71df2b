/**
 * Runs the two audio graphs of a bundle through the `GraphRunner` interface:
 * 1. the encoder (Whisper-style): `input_features` [1, n_mels, frames] -> its last and
 *    intermediate hidden states;
 * 2. the adapter (DIFFA's dual adapter: a semantic adapter on the last layer and an acoustic
 *    Q-Former on intermediate layers, outputs concatenated): those hidden states ->
 *    `audio_embeds` [1, tokens, hidden].
 * The adapter's declared inputs say which encoder outputs to request; they are passed on by name.
 * Besides encoder outputs, an adapter may declare inputs computed from the features themselves
 * (`FEATURE_INPUTS`): `feature_frames` [1] int64, the mel frames that hold audio, which DIFFA's
 * semantic adapter uses to cut the encoder output to the real audio.
 * Encoder and adapter run as one chain (core's `runChain`): in a worker, the encoder's hidden
 * states stay there.
 */
import { runChain, UnmaskError, type GraphRunner, type TensorData } from '@unmask/core';
import type { LogMelFeatures } from './log-mel.js';

/** Adapter inputs fed from the log-mel features rather than from the encoder, by name. */
export const FEATURE_INPUTS: Readonly<Record<string, (features: LogMelFeatures) => TensorData>> = {
  feature_frames: (features) => {
    if (features.feature_frames === undefined) {
      throw new UnmaskError(
        'runtime_error',
        'the audio adapter graph takes "feature_frames", but the log-mel features carry no frame count',
        'feature_frames',
      );
    }
    return { type: 'int64', dims: [1], data: BigInt64Array.of(BigInt(features.feature_frames)) };
  },
};

export interface AudioEncoderOptions {
  readonly encoder: GraphRunner;
  readonly adapter: GraphRunner;
  /** The encoder's input name (default `input_features`). */
  readonly inputName?: string;
  /** The adapter's output name (default `audio_embeds`). */
  readonly outputName?: string;
}

export interface AudioEmbeddings {
  /** [tokens, hidden], row-major (the batch dimension of 1 dropped). */
  readonly audio_embeds: Float32Array;
  readonly tokens: number;
  readonly hidden: number;
}

export class AudioEncoder {
  private readonly encoder: GraphRunner;
  private readonly adapter: GraphRunner;
  private readonly inputName: string;
  private readonly outputName: string;
  /** Encoder outputs the adapter consumes. */
  private readonly hiddenStateNames: readonly string[];
  /** Adapter inputs computed from the features (`FEATURE_INPUTS`). */
  private readonly featureInputNames: readonly string[];

  constructor(options: AudioEncoderOptions) {
    const { encoder, adapter, inputName = 'input_features', outputName = 'audio_embeds' } = options;
    if (!encoder.inputs.some((io) => io.name === inputName)) {
      throw new UnmaskError(
        'invalid_bundle',
        `audio encoder graph has no input "${inputName}" (inputs: ${names(encoder.inputs)})`,
        inputName,
      );
    }
    const produced = new Set(encoder.outputs.map((io) => io.name));
    for (const io of adapter.inputs) {
      if (!produced.has(io.name) && !Object.hasOwn(FEATURE_INPUTS, io.name)) {
        throw new UnmaskError(
          'invalid_bundle',
          `audio adapter graph input "${io.name}" is neither an output of the encoder graph (outputs: ${names(encoder.outputs)}) nor one of ${Object.keys(FEATURE_INPUTS).join(', ')}`,
          io.name,
        );
      }
    }
    if (!adapter.outputs.some((io) => io.name === outputName)) {
      throw new UnmaskError(
        'invalid_bundle',
        `audio adapter graph has no output "${outputName}" (outputs: ${names(adapter.outputs)})`,
        outputName,
      );
    }
    this.encoder = encoder;
    this.adapter = adapter;
    this.inputName = inputName;
    this.outputName = outputName;
    this.hiddenStateNames = adapter.inputs.map((io) => io.name).filter((name) => produced.has(name));
    this.featureInputNames = adapter.inputs.map((io) => io.name).filter((name) => !produced.has(name));
  }

  /** Whether the adapter reads how much of the window holds audio (its rows may follow the clip's length). */
  get lengthDependent(): boolean {
    return this.featureInputNames.length > 0;
  }

  /** Mel bins the encoder expects, when its input declares a fixed size. */
  get expectedMels(): number | undefined {
    const dim = this.encoder.inputs.find((io) => io.name === this.inputName)?.dims[1];
    return typeof dim === 'number' ? dim : undefined;
  }

  async encode(features: LogMelFeatures): Promise<AudioEmbeddings> {
    const [mels, frames] = features.dims;
    const expected = this.expectedMels;
    if (expected !== undefined && expected !== mels) {
      throw new UnmaskError(
        'invalid_bundle',
        `audio encoder expects ${expected} mel bins, the feature extractor produced ${mels}`,
        'feature_size',
      );
    }
    const feeds: Record<string, TensorData> = {};
    for (const name of this.featureInputNames) feeds[name] = FEATURE_INPUTS[name]!(features);
    const result = await runChain([
      {
        graph: this.encoder,
        label: 'audio encoder',
        feeds: { [this.inputName]: { type: 'float32', dims: [1, mels, frames], data: features.input_features } },
        outputs: this.hiddenStateNames,
      },
      {
        graph: this.adapter,
        label: 'audio adapter',
        feeds,
        from: Object.fromEntries(this.hiddenStateNames.map((name) => [name, name])),
        outputs: [this.outputName],
      },
    ]);
    const embeds = result[this.outputName];
    if (!embeds)
      throw new UnmaskError('runtime_error', `audio adapter graph returned no "${this.outputName}"`, this.outputName);
    const [batch, tokens, width] = embeds.dims;
    if (
      embeds.type !== 'float32' ||
      !(embeds.data instanceof Float32Array) ||
      embeds.dims.length !== 3 ||
      batch !== 1 ||
      tokens === undefined ||
      width === undefined ||
      embeds.data.length !== tokens * width
    ) {
      throw new UnmaskError(
        'runtime_error',
        `audio adapter output "${this.outputName}" should be float32 [1, tokens, hidden], got ${embeds.type} [${embeds.dims.join(', ')}]`,
        this.outputName,
      );
    }
    return { audio_embeds: embeds.data, tokens, hidden: width };
  }
}

function names(ios: readonly { name: string }[]): string {
  return ios.map((io) => io.name).join(', ') || 'none';
}
