/**
 * One wave of the real-width benchmark: engines that fit in memory together, loaded one after
 * another, their forwards interleaved per sequence length (order rotated each round), unmask's
 * batching measured, memory read, then stopped.
 */
import { loadAverage } from '../machine.js';
import { median } from '../stats.js';
import type { EngineProcess, ReadyReply } from './engine-protocol.js';
import { type EngineSpec, label, parseUnmaskFormat, runsAt } from './plan.js';
import type { BatchTiming, EngineResult, ForwardTiming, RealWidthResult } from './result.js';
import { type FamilyShape, forwardFlops } from './shapes.js';

/** A converted model on disk and what building it took. */
export interface Artifact {
  readonly path: string;
  readonly bytes: number;
  readonly build?: { seconds: number; peakRss?: number };
}

/** What a wave is measured with. */
export interface WaveContext {
  readonly options: RealWidthResult['options'];
  /** Each engine's artifact, by label. */
  readonly artifacts: ReadonlyMap<string, Artifact>;
  readonly shape: FamilyShape;
  readonly layers: number;
  /** Starts an engine process on its artifact. */
  readonly start: (spec: EngineSpec) => Promise<{ engine: EngineProcess; ready: ReadyReply }>;
  readonly log: (line: string) => void;
}

/** Loads a wave's engines one after another, then interleaves their forwards (order rotated each round). */
export async function measureWave(wave: readonly EngineSpec[], context: WaveContext): Promise<EngineResult[]> {
  const { options, artifacts, shape, layers, start, log } = context;
  const waveLabels = wave.map(label);
  const loaded: { spec: EngineSpec; engine: EngineProcess; ready: ReadyReply }[] = [];
  const results = new Map<string, EngineResult>();
  const base = (spec: EngineSpec): EngineResult => ({
    kind: spec.kind,
    format: spec.format,
    bits: spec.bits,
    fileBytes: artifacts.get(label(spec))!.bytes,
    ...(artifacts.get(label(spec))!.build ? { build: artifacts.get(label(spec))!.build } : {}),
    forwards: [],
    wave: waveLabels,
  });
  for (const spec of wave) {
    log(`loading ${label(spec)} (${(artifacts.get(label(spec))!.bytes / 2 ** 30).toFixed(2)} GiB)`);
    try {
      const { engine, ready } = await start(spec);
      loaded.push({ spec, engine, ready });
      log(`  ${ready.engine}: ${ready.loadSeconds.toFixed(1)} s, RSS ${(ready.rss / 2 ** 30).toFixed(2)} GiB`);
    } catch (error) {
      results.set(label(spec), { ...base(spec), error: (error as Error).message.slice(0, 600) });
      log(`  failed: ${(error as Error).message.slice(0, 300)}`);
    }
  }
  const timings = new Map<string, ForwardTiming[]>(loaded.map(({ spec }) => [label(spec), []]));
  const failed = new Map<string, string>();
  for (const positions of options.positions) {
    const flops = forwardFlops(shape, layers, positions, options.logits);
    const seconds = new Map<string, number[]>(loaded.map(({ spec }) => [label(spec), []]));
    const argmax = new Map<string, number[]>();
    const runs = runsAt(positions, options.runs);
    for (let round = -1; round < runs; round++) {
      const order = loaded.map((_, i) => loaded[(i + Math.max(0, round)) % loaded.length]!);
      for (const { spec, engine } of order) {
        if (failed.has(label(spec))) continue;
        try {
          const reply = await engine.forward(positions, options.logits);
          if (round >= 0) seconds.get(label(spec))!.push(reply.seconds);
          if (round === 0) argmax.set(label(spec), [...reply.argmax]);
        } catch (error) {
          failed.set(label(spec), (error as Error).message.slice(0, 600));
          log(`  ${label(spec)} failed at ${positions} positions: ${(error as Error).message.slice(0, 300)}`);
        }
      }
    }
    for (const { spec } of loaded) {
      const s = seconds.get(label(spec))!;
      if (s.length === 0) continue;
      timings.get(label(spec))!.push({
        positions,
        seconds: s,
        median: median(s),
        flops,
        argmax: argmax.get(label(spec)) ?? [],
      });
      log(`  ${label(spec)} S=${positions}: ${median(s).toFixed(3)} s (${s.map((x) => x.toFixed(2)).join(', ')})`);
    }
  }
  // Batching: N identical rows against one, interleaved, for the unmask formats that read the most weights per FLOP.
  const batching = new Map<string, BatchTiming[]>();
  for (const { spec, engine } of loaded) {
    if (spec.kind !== 'unmask' || failed.has(label(spec)) || options.batchRows <= 1) continue;
    if (!['int8', 'int4', 'fp32'].includes(parseUnmaskFormat(spec.format)!.weights)) continue;
    const rows: BatchTiming[] = [];
    for (const positions of options.batchPositions) {
      const one: number[] = [];
      const many: number[] = [];
      try {
        await engine.forward(positions, options.logits, options.batchRows);
        for (let r = 0; r < Math.max(2, options.runs); r++) {
          one.push((await engine.forward(positions, options.logits, 1)).seconds);
          many.push((await engine.forward(positions, options.logits, options.batchRows)).seconds);
        }
      } catch (error) {
        log(`  batching ${label(spec)} failed: ${(error as Error).message.slice(0, 300)}`);
        break;
      }
      rows.push({
        positions,
        rows: options.batchRows,
        median: median(many),
        oneRowMedian: median(one),
        runs: one.length,
      });
      log(
        `  ${label(spec)} batching S=${positions}: 1 row ${median(one).toFixed(3)} s, ${options.batchRows} rows ${median(many).toFixed(3)} s (${((median(one) * options.batchRows) / median(many)).toFixed(2)}× rows/s)`,
      );
    }
    batching.set(label(spec), rows);
  }
  for (const { spec, engine, ready } of loaded) {
    let steady: number | undefined;
    let peak: number | undefined;
    try {
      const memory = await engine.memory();
      steady = memory.rss;
      peak = memory.peakRss;
    } catch {
      /* the engine died; its error is recorded */
    }
    await engine.stop();
    results.set(label(spec), {
      ...base(spec),
      engine: ready.engine,
      loadSeconds: ready.loadSeconds,
      baselineRss: ready.baselineRss,
      rssAfterLoad: ready.rss,
      ...(steady === undefined ? {} : { steadyRss: steady }),
      ...(peak === undefined ? {} : { peakRss: peak }),
      forwards: timings.get(label(spec))!,
      ...(batching.has(label(spec)) ? { batching: batching.get(label(spec)) } : {}),
      loadAverage: loadAverage(),
      ...(failed.has(label(spec)) ? { error: failed.get(label(spec)) } : {}),
    });
  }
  return wave.map((spec) => results.get(label(spec))!);
}
