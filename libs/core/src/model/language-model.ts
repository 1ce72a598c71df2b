/**
 * The contract between the decoding engine and whatever computes logits: the ONNX runtime
 * (`onnx-language-model.ts`) in production, a scripted test double in unit tests.
 *
 * A forward pass takes a batch of rows. Each row is a *segment* of token ids (the positions
 * being recomputed this pass), optionally attending to a cached set of keys/values (`past`)
 * computed by an earlier pass. Rows may differ in length and in cache length; the
 * implementation pads them. Attention is bidirectional: every position of a row sees every
 * position of its own segment and of its own cache.
 */

/** What the engine needs to know about a model; read from the bundle manifest. */
export interface ModelInfo {
  /** Width of the logits: the ids the model can write. */
  readonly vocabSize: number;
  /** Ids the model reads, when more than it writes (ids from `vocabSize` up are input only). Absent: `vocabSize`. */
  readonly inputVocabSize?: number;
  readonly hiddenSize: number;
  /** Largest number of positions (prompt + answer) the model accepts. */
  readonly maxPositions: number;
  readonly maskTokenId: number;
  readonly eosTokenId: number;
  readonly padTokenId: number;
  /**
   * Dream / Dimple convention: the logits that predict position i come out at position i - 1.
   * LLaDA: position i predicts itself (false).
   */
  readonly shiftedLogits: boolean;
}

/** How many token ids a model reads (its input vocabulary). */
export const inputVocabSize = (info: ModelInfo): number => info.inputVocabSize ?? info.vocabSize;

/** Features (image or audio tokens) that replace token embeddings at consecutive positions. */
export interface SplicedEmbeddings {
  /** Offset of the first replaced position within the row's segment. */
  readonly offset: number;
  /** Number of replaced positions. */
  readonly count: number;
  /** `count × hiddenSize` floats, row-major. */
  readonly data: Float32Array;
}

/**
 * Keys/values of already-computed positions, kept by the model implementation (in a worker,
 * for ONNX). Opaque to the engine apart from its length.
 */
export interface KvCache {
  /** Number of cached positions. */
  readonly length: number;
  /** Memory the keys/values take where the model keeps them, when the model knows it. */
  readonly bytes?: number;
  /** Frees the memory; using a released cache is an error. Idempotent. */
  release(): void;
}

/** A half-open range `[start, end)` of indices. */
export type IndexRange = readonly [start: number, end: number];

export interface ForwardRow {
  /** Token ids of the segment. Positions with spliced embeddings carry their placeholder id. */
  readonly inputIds: ArrayLike<number>;
  /** Absolute position of each segment token (rotary positions). */
  readonly positionIds: ArrayLike<number>;
  /**
   * Only for models with multimodal rotary (M-RoPE: the bundle's `lm.position_ids` is
   * "mrope"): `3 × segment length` positions, row-major `[3, seq]` (temporal, height, width).
   * When omitted, all three components are `positionIds` (what text tokens use).
   */
  readonly mropePositionIds?: ArrayLike<number>;
  /** Features to splice over the token embeddings of this segment. */
  readonly embeddings?: readonly SplicedEmbeddings[];
  /** Cached keys/values the segment attends to (in addition to itself). */
  readonly past?: KvCache;
  /** Segment offsets whose logits are wanted, in this order. */
  readonly logitsIndices: ArrayLike<number>;
  /**
   * When set, the pass returns a new cache holding these ranges of the concatenation
   * `past ++ segment` (indices into that concatenation), in order.
   */
  readonly keep?: readonly IndexRange[];
}

export interface ForwardRowResult {
  /** `logitsIndices.length × vocabSize` floats, row-major. */
  readonly logits: Float32Array;
  /** Present when the row asked to `keep` ranges. */
  readonly cache?: KvCache;
}

export interface LanguageModel {
  readonly info: ModelInfo;
  /** One batched forward pass. Rows are independent; results come back in row order. */
  forward(rows: readonly ForwardRow[]): Promise<ForwardRowResult[]>;
}
