/**
 * Property-based fuzzing of the parsers that take untrusted bytes, on fast-check. A target is
 * an arbitrary (usually valid seed files mutated byte-wise, so that most inputs get past the
 * magic numbers) and a `run` that must either succeed or refuse with the parser's own error:
 * any other exception, a run past `timeoutMs` or a heap growing past `maxHeapGrowthBytes` is a
 * finding. Each target has a bounded spec beside it (`*.fuzz.test.ts`, seconds, in CI) and
 * `npm run fuzz` runs them for as long as asked (docs/security.md).
 */
import fc from 'fast-check';
import { isUnmaskError, type UnmaskErrorCode } from '../errors.js';

export interface FuzzTarget<T> {
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<T>;
  /** Succeeds, or throws what `refusal` accepts; anything else fails the property. */
  run(input: T): void | Promise<void>;
  /** A thrown value that is a refusal, not a finding (default: an UnmaskError of any code). */
  readonly refusal?: (error: unknown) => boolean;
  /** Longest time one input may take (default 2000 ms). */
  readonly timeoutMs?: number;
  /** Slow set-up (a server, a model) run once before the first input, outside its time. */
  readonly setUp?: () => Promise<void>;
}

/** Error codes a parser of untrusted bytes may refuse with: never a `runtime_error`. */
export const INPUT_REFUSALS: readonly UnmaskErrorCode[] = [
  'invalid_media',
  'invalid_bundle',
  'invalid_parameter',
  'too_large',
];

export const isInputRefusal = (error: unknown): boolean => INPUT_REFUSALS.some((code) => isUnmaskError(error, code));

export class FuzzFinding extends Error {
  override readonly name = 'FuzzFinding';
}

/** One execution of a target, judged: refusals pass, crashes and slow runs throw a FuzzFinding. */
export async function judged<T>(target: FuzzTarget<T>, input: T): Promise<void> {
  const refusal = target.refusal ?? isInputRefusal;
  const limit = target.timeoutMs ?? 2000;
  // CPU time is what an input costs; wall time also counts waiting for a loaded machine, so it
  // gets thirty times the limit (and still catches an input that waits on nothing).
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    await target.run(input);
  } catch (error) {
    if (error instanceof FuzzFinding) throw error;
    if (!refusal(error)) {
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new FuzzFinding(`${target.name}: not a clean refusal: ${what}`, { cause: error });
    }
  }
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  if (cpuMs > limit || ms > 30 * limit)
    throw new FuzzFinding(
      `${target.name}: one input took ${Math.round(cpuMs)} ms of CPU (${Math.round(ms)} ms), over ${limit} ms`,
    );
}

export interface FuzzRunOptions {
  /** Stop after this many inputs … */
  readonly numRuns?: number;
  /** … or after this many milliseconds, whichever comes first. */
  readonly timeLimitMs?: number;
  readonly seed?: number;
  /** Heap growth (after GC when exposed) that counts as unbounded allocation (default 512 MiB). */
  readonly maxHeapGrowthBytes?: number;
  /**
   * Called before every input (from inside the run: a watchdog outside sees it stop when making
   * or judging one input hangs); `npm run fuzz` passes it on at most every few seconds.
   */
  readonly onProgress?: (executions: number) => void;
}

export interface FuzzRunReport {
  readonly target: string;
  readonly seed: number;
  readonly executions: number;
  readonly ms: number;
  /** The shrunk counterexample's error, when the property failed. */
  readonly failure?: string;
  /** The shrunk counterexample, whole (fast-check's notation: it may be long). */
  readonly counterexample?: string;
}

/** A counterexample cut for a log line or an assertion message. */
export const shortCounterexample = (report: FuzzRunReport, length = 600): string =>
  report.counterexample === undefined
    ? '?'
    : report.counterexample.length > length
      ? `${report.counterexample.slice(0, length)}… (${report.counterexample.length} characters)`
      : report.counterexample;

/** Runs a target: every input judged, the heap watched; resolves with the figures (never throws). */
export async function runFuzz<T>(target: FuzzTarget<T>, options: FuzzRunOptions = {}): Promise<FuzzRunReport> {
  const seed = options.seed ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  await target.setUp?.();
  const maxGrowth = options.maxHeapGrowthBytes ?? 512 * 1024 * 1024;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage();
  let executions = 0;
  const started = performance.now();
  const property = fc.asyncProperty(target.arbitrary, async (input) => {
    executions++;
    options.onProgress?.(executions);
    await judged(target, input);
    if (executions % 200 === 0) {
      gc?.();
      const now = process.memoryUsage();
      const growth = now.heapUsed + now.arrayBuffers - (baseline.heapUsed + baseline.arrayBuffers);
      if (growth > maxGrowth)
        throw new FuzzFinding(`${target.name}: the heap grew by ${Math.round(growth / 2 ** 20)} MiB`);
    }
  });
  const details = await fc.check(property, {
    seed,
    numRuns: options.numRuns ?? Number.MAX_SAFE_INTEGER,
    ...(options.timeLimitMs !== undefined ? { interruptAfterTimeLimit: options.timeLimitMs } : {}),
    markInterruptAsFailure: false,
  });
  const report: FuzzRunReport = {
    target: target.name,
    seed,
    executions,
    ms: Math.round(performance.now() - started),
  };
  if (!details.failed) return report;
  const error = details.errorInstance;
  return {
    ...report,
    failure: error instanceof Error ? error.message : String(error),
    counterexample: fc.stringify(details.counterexample),
  };
}

/** Fails (for node:test) with the counterexample when a bounded run finds something. */
export async function assertFuzz<T>(target: FuzzTarget<T>, options: FuzzRunOptions): Promise<FuzzRunReport> {
  const report = await runFuzz(target, options);
  if (report.failure !== undefined)
    throw new FuzzFinding(`${report.failure}\nseed ${report.seed}; counterexample: ${shortCounterexample(report)}`);
  return report;
}

/** The bounded CI run's budget per target: FUZZ_SECONDS (default 8), FUZZ_SEED when reproducing. */
export function ciFuzzOptions(): FuzzRunOptions {
  const seconds = Number(process.env.FUZZ_SECONDS ?? 8);
  const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : undefined;
  return { timeLimitMs: seconds * 1000, ...(seed !== undefined ? { seed } : {}) };
}

// --- Byte mutation: valid seeds, broken in the ways parsers trip over. ---

const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number; littleEndian: boolean }
  | { kind: 'u16'; at: number; value: number; littleEndian: boolean }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number }
  /** A short run repeated many times: long lists, deep nesting, counts past a parser's limits. */
  | { kind: 'repeat'; at: number; length: number; times: number };

const position = fc.nat({ max: 0xffff });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('byte' as const), at: position, value: fc.nat({ max: 255 }) }),
  fc.record({
    kind: fc.constant('u32' as const),
    at: position,
    value: fc.oneof(fc.constantFrom(...INTERESTING_32), fc.nat({ max: 0xffffffff })),
    littleEndian: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('u16' as const),
    at: position,
    value: fc.oneof(fc.constantFrom(0, 1, 0xff, 0x7fff, 0x8000, 0xffff), fc.nat({ max: 0xffff })),
    littleEndian: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: position,
    length: fc.integer({ min: 1, max: 8 }),
    times: fc.oneof(fc.integer({ min: 2, max: 64 }), fc.integer({ min: 1000, max: 200_000 })),
  }),
);

/** Applies mutations to a copy of `seed` (positions wrap around its length). */
export function mutate(seed: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out: Uint8Array = Uint8Array.from(seed);
  for (const m of mutations) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    switch (m.kind) {
      case 'flip':
        out[at] = (out[at] as number) ^ (1 << m.bit);
        break;
      case 'byte':
        out[at] = m.value;
        break;
      case 'u32':
        if (at + 4 <= out.length) view.setUint32(at, m.value >>> 0, m.littleEndian);
        break;
      case 'u16':
        if (at + 2 <= out.length) view.setUint16(at, m.value, m.littleEndian);
        break;
      case 'truncate':
        out = out.slice(0, at);
        break;
      case 'insert':
        out = concat(out.subarray(0, at), m.bytes, out.subarray(at));
        break;
      case 'delete':
        out = concat(out.subarray(0, at), out.subarray(at + m.length));
        break;
      case 'duplicate':
        out = concat(out.subarray(0, at + m.length), out.subarray(at));
        break;
      case 'repeat': {
        const run = out.subarray(at, at + m.length);
        const repeated = new Uint8Array(run.length * m.times);
        for (let k = 0; k < m.times; k++) repeated.set(run, k * run.length);
        out = concat(out.subarray(0, at), repeated, out.subarray(at));
        break;
      }
    }
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Bytes for a parser: mostly a seed with 1–8 mutations, sometimes a seed as is, sometimes
 * random bytes (each seed's first bytes kept half the time, so magic numbers still match).
 */
export function mutatedBytes(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  if (seeds.length === 0) throw new Error('mutatedBytes needs at least one seed');
  const seed = fc.constantFrom(...seeds);
  return fc
    .oneof(
      { weight: 12, arbitrary: fc.tuple(seed, fc.array(mutation, { minLength: 1, maxLength: 8 })) },
      { weight: 1, arbitrary: fc.tuple(seed, fc.constant([] as Mutation[])) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(seed, fc.uint8Array({ maxLength: 512 }), fc.boolean())
          .map(
            ([s, random, keepMagic]) =>
              [keepMagic ? concat(s.subarray(0, 16), random) : random, [] as Mutation[]] as const,
          ),
      },
    )
    .map(([s, mutations]) => mutate(s, mutations));
}
