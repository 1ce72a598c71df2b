/**
 * One request's decoding state: which forward row it needs next, and how the logits that come
 * back turn into commits. The batch scheduler drives many sessions at once; a session neither
 * runs the model nor knows about other requests.
 */
import { UnmaskError } from '../errors.js';
import type { ForwardRow, ForwardRowResult, KvCache, ModelInfo, SplicedEmbeddings } from '../model/language-model.js';
import { AnswerCanvas } from './canvas.js';
import { confidenceOf, scorePosition } from './confidence.js';
import type { CanvasCheck } from './constraints/canvas-check.js';
import { shouldCommitAll } from './early-commit.js';
import { eosConfidenceFactor } from './eos-handling.js';
import type { CommittedToken, DecodeResult, StepEvent } from './events.js';
import { planPass, type PassPlan } from './kv-cache-policy.js';
import { Random } from './random.js';
import type { ValidatedRequest } from './request.js';
import { sampleToken } from './sampling.js';
import { byConfidence, type Candidate } from './strategies/commit-rule.js';

interface PendingPass {
  readonly plan: PassPlan;
  /** Answer positions whose logits were requested, in request order. */
  readonly positions: readonly number[];
}

export class DecodeSession {
  readonly canvas: AnswerCanvas;
  private readonly random: Random;
  private readonly promptLength: number;
  private readonly shift: 0 | 1;
  private block = -1;
  private stepInBlock = 0;
  private blockMaskCount = 0;
  private steps = 0;
  private cache: KvCache | undefined;
  private pending: PendingPass | undefined;
  private readonly startedAt: number;
  private forwardMs = 0;
  queueMs = 0;
  /** The constraint's check of this canvas, when the request has one. */
  private readonly check: CanvasCheck | undefined;

  constructor(
    readonly request: ValidatedRequest,
    private readonly info: ModelInfo,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.canvas = new AnswerCanvas(request.template, info.maskTokenId);
    this.random = new Random(request.sampling.seed);
    this.promptLength = request.promptIds.length;
    this.shift = info.shiftedLogits ? 1 : 0;
    this.startedAt = now();
    this.check = request.constraint?.track({
      length: this.canvas.length,
      maskTokenId: info.maskTokenId,
      eosTokenId: info.eosTokenId,
    });
    if (this.check && !this.check.completable) {
      throw new UnmaskError(
        'constraint_unsatisfiable',
        `no answer of at most ${this.canvas.length} tokens of this model's vocabulary satisfies the constraint`,
        'constraint',
      );
    }
  }

  get done(): boolean {
    return this.canvas.maskCount === 0;
  }

  get forwardPasses(): number {
    return this.steps;
  }

  /** The forward row for the next step. Call only while not done. */
  nextRow(): ForwardRow {
    const { blockLength } = this.request.strategy;
    const firstMasked = this.canvas.maskedIn(0, this.canvas.length)[0] as number;
    const block = Math.floor(firstMasked / blockLength);
    const firstStepOfBlock = block !== this.block;
    if (firstStepOfBlock) {
      this.block = block;
      this.stepInBlock = 0;
      this.blockMaskCount = this.canvas.maskedIn(block * blockLength, (block + 1) * blockLength).length;
    }
    const p = this.promptLength;
    const blockStart = p + block * blockLength;
    const blockEnd = Math.min(p + (block + 1) * blockLength, p + this.canvas.length);
    const total = p + this.canvas.length;
    const plan = planPass(this.request.cache, blockStart, blockEnd, total, this.shift, firstStepOfBlock || !this.cache);

    const wantsAll = this.request.strategy.earlyCommit !== undefined && this.request.cache !== 'dual';
    const positions = wantsAll
      ? this.canvas.maskedIn(block * blockLength, this.canvas.length)
      : this.canvas.maskedIn(block * blockLength, (block + 1) * blockLength);
    this.pending = { plan, positions };

    const { segmentStart, segmentEnd } = plan;
    const inputIds = new Int32Array(segmentEnd - segmentStart);
    for (let a = segmentStart; a < segmentEnd; a++) {
      inputIds[a - segmentStart] = a < p ? (this.request.promptIds[a] as number) : (this.canvas.ids[a - p] as number);
    }
    return {
      inputIds,
      positionIds: Int32Array.from({ length: inputIds.length }, (_, i) => segmentStart + i),
      ...(this.request.mropePositions
        ? { mropePositionIds: this.request.mropePositions.segment(segmentStart, segmentEnd) }
        : {}),
      embeddings: sliceEmbeddings(this.request.embeddings, segmentStart, segmentEnd, this.info.hiddenSize),
      past: plan.usesCache ? this.cache : undefined,
      logitsIndices: Int32Array.from(positions, (a) => p + a - this.shift - segmentStart),
      keep: plan.keep,
    };
  }

  /** Applies the logits of the row returned by `nextRow`; returns the step's event. */
  apply(result: ForwardRowResult, forwardMs: number): StepEvent {
    const pending = this.pending;
    if (!pending) throw new Error('apply() without a pending nextRow()');
    this.pending = undefined;
    this.forwardMs += forwardMs;
    if (pending.plan.keep) {
      if (!result.cache) throw new Error('the model returned no cache for a pass that asked to keep one');
      this.cache?.release();
      this.cache = result.cache;
    }

    const { strategy, sampling } = this.request;
    const vocab = this.info.vocabSize;
    const { logits } = result;
    const progress = this.canvas.progress;
    const blockLength = strategy.blockLength;
    const scored = pending.positions.map((position, i) => {
      const offset = i * vocab;
      logits[offset + this.info.maskTokenId] = -Infinity; // never predict the mask itself
      this.check?.restrict(position, logits, offset, vocab);
      const token = sampleToken(logits, offset, vocab, sampling, this.random);
      const scores = scorePosition(logits, offset, vocab, token);
      let confidence = confidenceOf(scores, strategy.confidence);
      if (token === this.info.eosTokenId && strategy.eosGamma < 1)
        confidence *= eosConfidenceFactor(strategy.eosGamma, progress);
      return { candidate: { position, token, confidence } as Candidate, gap: scores.logitGap };
    });

    let chosen: readonly Candidate[];
    let earlyCommit = false;
    if (
      strategy.earlyCommit &&
      shouldCommitAll(
        scored.map((s) => s.gap),
        progress,
        strategy.earlyCommit,
      )
    ) {
      chosen = scored.map((s) => s.candidate);
      earlyCommit = true;
    } else {
      const inBlock = scored
        .map((s) => s.candidate)
        .filter((c) => Math.floor(c.position / blockLength) === this.block)
        .sort(byConfidence);
      chosen = strategy.rule({
        candidates: inBlock,
        stepInBlock: this.stepInBlock,
        blockMaskCount: this.blockMaskCount,
        random: this.random,
      });
    }

    const committed: CommittedToken[] = [];
    // Under a constraint, commits are checked one at a time, most confident first; one that no
    // longer fits after the others stays masked for a later step (the first always fits).
    const order = this.check ? [...chosen].sort(byConfidence) : [...chosen].sort((a, b) => a.position - b.position);
    for (const c of order) {
      if (!this.canvas.isMasked(c.position)) continue; // already filled after an earlier EOS
      if (this.check) {
        if (!this.check.allows(c.position, c.token)) continue;
        this.check.commit(c.position, c.token);
      }
      this.canvas.commit(c.position, c.token);
      committed.push({ position: c.position, token: c.token, confidence: c.confidence });
      if (strategy.eosFill && c.token === this.info.eosTokenId) {
        for (const filled of this.canvas.fillAfter(c.position, this.info.eosTokenId)) {
          committed.push({ position: filled, token: this.info.eosTokenId, confidence: null });
          this.check?.commit(filled, this.info.eosTokenId);
        }
      }
    }
    committed.sort((a, b) => a.position - b.position);
    this.steps += 1;
    this.stepInBlock += 1;
    if (this.done) this.releaseCache();
    return {
      step: this.steps,
      block: this.block,
      committed,
      canvas: Array.from(this.canvas.ids),
      masksRemaining: this.canvas.maskCount,
      forwardPasses: this.steps,
      earlyCommit,
      elapsedMs: this.now() - this.startedAt,
    };
  }

  result(detokenize?: (ids: number[]) => string): DecodeResult {
    const { ids, layout } = this.canvas;
    const tokenIds = layout.read(ids, this.info).ids;
    return {
      tokenIds,
      ...(detokenize ? { text: detokenize(tokenIds) } : {}),
      canvas: Array.from(ids),
      forwardPasses: this.steps,
      steps: this.steps,
      finishReason: layout.finishReason(ids, this.info.eosTokenId),
      timings: { totalMs: this.now() - this.startedAt, forwardMs: this.forwardMs, queueMs: this.queueMs },
    };
  }

  /** Frees the cached keys/values (at the end, on cancellation or on failure). */
  releaseCache(): void {
    this.cache?.release();
    this.cache = undefined;
  }
}

/** The parts of the prompt's spliced embeddings that fall inside `[start, end)`, re-based to `start`. */
export function sliceEmbeddings(
  embeddings: readonly SplicedEmbeddings[],
  start: number,
  end: number,
  hidden: number,
): SplicedEmbeddings[] {
  const out: SplicedEmbeddings[] = [];
  for (const e of embeddings) {
    const from = Math.max(start, e.offset);
    const to = Math.min(end, e.offset + e.count);
    if (from >= to) continue;
    const data =
      from === e.offset && to === e.offset + e.count
        ? e.data
        : e.data.subarray((from - e.offset) * hidden, (to - e.offset) * hidden);
    out.push({ offset: from - start, count: to - from, data });
  }
  return out;
}
