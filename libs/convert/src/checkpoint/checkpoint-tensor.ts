/** Where one tensor of a checkpoint lives: what the safetensors and the PyTorch readers both return. */
import type { SafetensorsDtype } from '@unmask/core';

export interface CheckpointTensor {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** The shard file it lives in. */
  readonly file: string;
  /** Absolute byte offset of its data in the file. */
  readonly offset: number;
  readonly byteLength: number;
}
