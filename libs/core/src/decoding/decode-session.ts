/**
 * One request's decoding state: which forward rows it needs next (one, or two with
 * classifier-free guidance), and how the logits that come back turn into commits. The batch
 * scheduler drives many sessions at once; a session neither runs the model nor knows about other
 * requests.
 */
import { UnmaskError } from '../errors.js';
import type { ForwardRow, ForwardRowResult, KvCache, ModelInfo, SplicedEmbeddings } from '../model/language-model.js';
import { AnswerCanvas } from './canvas.js';
import { logitGap, tokenLogprob } from './confidence.js';
import type { CanvasCheck } from './constraints/canvas-check.js';
import { earlyCommitWindow, shouldCommitAll } from './early-commit.js';
import { eosConfidenceFactor } from './eos-handling.js';
import type { CommittedToken, DecodeResult, StepEvent, TokenLogprob } from './events.js';
import { guidedLogits, unconditionalRow } from './guidance.js';
import { planPass, type PassPlan } from './kv-cache-policy.js';
import { logitProcessors, type LogitProcessor } from './logit-processors.js';
import { scoreRow, type ScoringOptions } from './position-scoring.js';
import { Random, type RandomSource } from './random.js';
import type { ValidatedRequest } from './request.js';
import { byConfidence, type Candidate } from './strategies/commit-rule.js';

interface PendingPass {
  readonly plan: PassPlan;
  readonly rows: number;
  /** Answer positions whose logits were requested, in request order. */
  readonly positions: readonly number[];
  /** Masked positions among them (the candidates). */
  readonly masked: ReadonlySet<number>;
  /** Positions of Prophet's window among them. */
  readonly window: ReadonlySet<number>;
  /** Fast-dLLM's block-wise Dream: this pass commits the block's first position, whatever its confidence. */
  readonly commitBlockStart: boolean;
}

export class DecodeSession {
  readonly canvas: AnswerCanvas;
  private readonly random: RandomSource;
  private readonly promptLength: number;
  private readonly shift: 0 | 1;
  private readonly processors: LogitProcessor[];
  private readonly scoring: ScoringOptions;
  private readonly window: readonly number[];
  /** The constraint's check of this canvas, when the request has one. */
  private readonly check: CanvasCheck | undefined;
  /** Per canvas position, when the request records log-probabilities. */
  private readonly logprobs: (TokenLogprob | null)[] | undefined;
  private block = -1;
  private stepInBlock = 0;
  private blockMaskCount = 0;
  private steps = 0;
  /** The most positions one step decoded (end-of-text fill not counted). */
  private widestStep = 0;
  private cache: KvCache | undefined;
  /** Keys/values of the shared prompt prefix (from the engine's prefix cache), and how to let go of them. */
  private prefix: { readonly cache: KvCache; readonly hit: boolean; readonly done: () => void } | undefined;
  private pending: PendingPass | undefined;
  private readonly startedAt: number;
  private forwardMs = 0;
  queueMs = 0;

  constructor(
    readonly request: ValidatedRequest,
    private readonly info: ModelInfo,
    private readonly now: () => number = () => performance.now(),
    random?: RandomSource,
  ) {
    const { strategy } = request;
    this.canvas = new AnswerCanvas(request.template, info.maskTokenId, strategy.stopTokens);
    this.random = random ?? new Random(request.sampling.seed);
    this.promptLength = request.promptIds.length;
    this.shift = info.shiftedLogits ? 1 : 0;
    this.processors = logitProcessors({
      suppressTokens: strategy.suppressTokens,
      logitsEosInf: strategy.logitsEosInf,
      eosTokenId: info.eosTokenId,
    });
    this.scoring = {
      sampling: request.sampling,
      measure: strategy.measure,
      useOriginalConfidence: strategy.useOriginalConfidence,
      banned: [info.maskTokenId],
      confidenceExcluded: strategy.confidenceEosEotInf && request.eotTokenId !== undefined ? [request.eotTokenId] : [],
    };
    this.window = strategy.earlyCommit ? earlyCommitWindow(strategy.earlyCommit, this.canvas.length) : [];
    this.check = request.constraint?.track({
      length: this.canvas.length,
      maskTokenId: info.maskTokenId,
      eosTokenId: info.eosTokenId,
    });
    if (request.logprobs !== undefined) this.logprobs = new Array<TokenLogprob | null>(this.canvas.length).fill(null);
    if (this.check && !this.check.completable) {
      throw new UnmaskError(
        'constraint_unsatisfiable',
        `no answer of at most ${this.canvas.length} tokens of this model's vocabulary satisfies the constraint`,
        'constraint',
      );
    }
    this.startedAt = now();
  }

  get done(): boolean {
    return this.canvas.maskCount === 0;
  }

  get forwardPasses(): number {
    return this.steps;
  }

  /**
   * The forward row that computes the shared prefix's keys/values (kept as a cache): over the
   * prefix alone, or `inContext` over the whole prompt and the canvas as it stands (all masks
   * before the first step), keeping the prefix's positions.
   */
  prefixRow(inContext = false): ForwardRow {
    const s = this.request.sharedPrefix;
    const p = this.promptLength;
    const end = inContext ? p + this.canvas.length : s;
    const inputIds = new Int32Array(end);
    inputIds.set(this.request.promptIds.subarray(0, Math.min(end, p)));
    if (inContext) inputIds.set(this.canvas.ids, p);
    return {
      inputIds,
      positionIds: Int32Array.from({ length: end }, (_, i) => i),
      ...(this.request.mropePositions ? { mropePositionIds: this.request.mropePositions.segment(0, end) } : {}),
      embeddings: sliceEmbeddings(this.request.embeddings, 0, end, this.info.hiddenSize),
      logitsIndices: inContext ? Int32Array.of() : Int32Array.of(s - 1),
      keep: [[0, s]],
    };
  }

  /**
   * Attends every pass to these keys/values of the shared prefix instead of recomputing its
   * positions. `done` is called once, when the session lets go of them.
   */
  attachPrefix(cache: KvCache, hit: boolean, forwardMs: number, done: () => void): void {
    if (cache.length !== this.request.sharedPrefix)
      throw new Error(
        `a prefix cache of ${cache.length} positions for a shared prefix of ${this.request.sharedPrefix}`,
      );
    this.prefix = { cache, hit, done };
    this.forwardMs += forwardMs;
  }

  /** The forward rows for the next step (two with guidance: the canvas, then its unconditional twin). */
  nextRows(): ForwardRow[] {
    const { strategy } = this.request;
    const { blockLength } = strategy;
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
    const commitBlockStart = strategy.commitBlockStart && firstStepOfBlock;
    // Once the block's first position is committed at the cache-building pass, its logits are never
    // needed again, and the cache ends at the block start (Fast-dLLM's block-wise Dream).
    const cacheShift = strategy.commitBlockStart ? 0 : this.shift;
    const plan = planPass(this.request.cache, blockStart, blockEnd, total, cacheShift, firstStepOfBlock || !this.cache);

    let candidates: number[];
    if (commitBlockStart) candidates = this.canvas.isMasked(block * blockLength) ? [block * blockLength] : [];
    else if (strategy.earlyCommit !== undefined && this.request.cache !== 'dual')
      candidates = this.canvas.maskedIn(block * blockLength, this.canvas.length);
    else candidates = this.canvas.maskedIn(block * blockLength, (block + 1) * blockLength);
    const { segmentEnd } = plan;
    // With a shared prefix, passes that would start at 0 start after it and attend to its cache;
    // kept ranges stay valid, as that cache ++ the segment covers the same positions from 0.
    const shared = this.prefix && !plan.usesCache ? this.prefix.cache : undefined;
    const segmentStart = shared ? Math.max(plan.segmentStart, shared.length) : plan.segmentStart;
    const inSegment = (a: number) => p + a - this.shift >= segmentStart && p + a - this.shift < segmentEnd;
    const window = commitBlockStart ? [] : this.window.filter(inSegment);
    const positions = [...new Set([...candidates, ...window])].sort((a, b) => a - b);
    this.pending = {
      plan,
      rows: strategy.cfgScale > 0 ? 2 : 1,
      positions,
      masked: new Set(candidates),
      window: new Set(window),
      commitBlockStart,
    };

    const inputIds = new Int32Array(segmentEnd - segmentStart);
    for (let a = segmentStart; a < segmentEnd; a++) {
      inputIds[a - segmentStart] = a < p ? (this.request.promptIds[a] as number) : (this.canvas.ids[a - p] as number);
    }
    const row: ForwardRow = {
      inputIds,
      positionIds: Int32Array.from({ length: inputIds.length }, (_, i) => segmentStart + i),
      ...(this.request.mropePositions
        ? { mropePositionIds: this.request.mropePositions.segment(segmentStart, segmentEnd) }
        : {}),
      embeddings: sliceEmbeddings(this.request.embeddings, segmentStart, segmentEnd, this.info.hiddenSize),
      past: plan.usesCache ? this.cache : shared,
      logitsIndices: Int32Array.from(positions, (a) => p + a - this.shift - segmentStart),
      keep: plan.keep,
    };
    return strategy.cfgScale > 0 ? [row, unconditionalRow(row, p, this.info.maskTokenId)] : [row];
  }

  /** Applies the results of the rows returned by `nextRows`; returns the step's event. */
  apply(results: readonly ForwardRowResult[], forwardMs: number): StepEvent {
    const pending = this.pending;
    if (!pending) throw new Error('apply() without a pending nextRows()');
    if (results.length !== pending.rows) throw new Error(`expected ${pending.rows} row results, got ${results.length}`);
    this.pending = undefined;
    this.forwardMs += forwardMs;
    const first = results[0] as ForwardRowResult;
    if (pending.plan.keep) {
      if (!first.cache) throw new Error('the model returned no cache for a pass that asked to keep one');
      this.cache?.release();
      this.cache = first.cache;
    }

    const { strategy } = this.request;
    const vocab = this.info.vocabSize;
    const logits =
      pending.rows === 2
        ? guidedLogits(first.logits, (results[1] as ForwardRowResult).logits, strategy.cfgScale)
        : first.logits;
    const progress = this.canvas.progress;
    const scored: Candidate[] = [];
    const gaps: number[] = [];
    const rows = new Map<number, Float32Array>();
    pending.positions.forEach((position, i) => {
      const row = logits.subarray(i * vocab, (i + 1) * vocab);
      const masked = pending.masked.has(position);
      if (masked) {
        if (!strategy.keepMaskLogit) row[this.info.maskTokenId] = -Infinity;
        for (const process of this.processors) process(row, position);
        this.check?.restrict(position, row, 0, vocab);
      }
      if (pending.window.has(position)) gaps.push(logitGap(row));
      if (!masked) return;
      rows.set(position, row);
      const { token, confidence } = scoreRow(row, this.scoring, this.random);
      const eos = token === this.info.eosTokenId && strategy.eosGamma < 1;
      scored.push({
        position,
        token,
        confidence: eos ? confidence * eosConfidenceFactor(strategy.eosGamma, progress) : confidence,
      });
    });

    // The distribution each committed token was chosen from: these logits after the logit
    // processors and the constraint, with the mask ruled out (before temperature, top-k and top-p).
    const logprobOf = (position: number, token: number): TokenLogprob | undefined => {
      const count = this.request.logprobs;
      const row = rows.get(position);
      if (count === undefined || !row) return undefined;
      return tokenLogprob(row, token, count, [this.info.maskTokenId]);
    };

    let chosen: readonly Candidate[];
    let earlyCommit = false;
    const blockLength = strategy.blockLength;
    if (pending.commitBlockStart) chosen = scored;
    else if (strategy.earlyCommit && shouldCommitAll(gaps, this.steps + 1, strategy.totalSteps, strategy.earlyCommit)) {
      chosen = scored;
      earlyCommit = true;
    } else {
      const inBlock = scored.filter((c) => Math.floor(c.position / blockLength) === this.block).sort(byConfidence);
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
      const logprob = logprobOf(c.position, c.token);
      if (logprob && this.logprobs) this.logprobs[c.position] = logprob;
      committed.push({
        position: c.position,
        token: c.token,
        confidence: c.confidence,
        ...(logprob ? { logprob } : {}),
      });
      if (strategy.eosFill && c.token === this.info.eosTokenId) {
        for (const filled of this.canvas.fillAfter(c.position, this.info.eosTokenId)) {
          this.check?.commit(filled, this.info.eosTokenId);
          committed.push({ position: filled, token: this.info.eosTokenId, confidence: null });
        }
      }
    }
    this.canvas.freezeAfterStop();
    this.widestStep = Math.max(this.widestStep, committed.filter((c) => c.confidence !== null).length);
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
      widestStep: this.widestStep,
      finishReason: layout.finishReason(ids, this.info.eosTokenId),
      ...(this.logprobs ? { logprobs: [...this.logprobs] } : {}),
      timings: { totalMs: this.now() - this.startedAt, forwardMs: this.forwardMs, queueMs: this.queueMs },
      ...(this.prefix ? { sharedPrefix: { length: this.request.sharedPrefix, hit: this.prefix.hit } } : {}),
    };
  }

  /** Frees the cached keys/values (at the end, on cancellation or on failure). */
  releaseCache(): void {
    this.cache?.release();
    this.cache = undefined;
    const prefix = this.prefix;
    if (prefix) {
      // The result still reports the prefix; only the hold on its keys/values ends.
      this.prefix = { ...prefix, done: () => {} };
      prefix.done();
    }
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
