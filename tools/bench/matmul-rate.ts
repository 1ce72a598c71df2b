/**
 * This machine's achievable matrix-multiply rate through onnxruntime-node: square float32
 * MatMuls (fixtures/matmul.onnx) of a few sizes, each repeated for a fixed time; the best
 * rate is the floor's denominator.
 */
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

export const MATMUL_GRAPH = fileURLToPath(new URL('fixtures/matmul.onnx', import.meta.url));

export interface MatmulRate {
  readonly threads: number;
  readonly bySize: { readonly n: number; readonly gflops: number; readonly runs: number }[];
  /** Best of bySize, in FLOP/s. */
  readonly flopsPerSecond: number;
}

export async function measureMatmulRate(
  threads: number,
  sizes: readonly number[],
  secondsEach: number,
  onStep?: () => void,
): Promise<MatmulRate> {
  const session = await ort.InferenceSession.create(MATMUL_GRAPH, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const bySize: MatmulRate['bySize'] = [];
  try {
    for (const n of sizes) {
      const a = new ort.Tensor(
        'float32',
        Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 97) / 97 - 0.5),
        [n, n],
      );
      const b = new ort.Tensor(
        'float32',
        Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 89) / 89 - 0.5),
        [n, n],
      );
      await session.run({ a, b }); // warm-up
      let runs = 0;
      const started = performance.now();
      while (performance.now() - started < secondsEach * 1000 || runs < 3) {
        await session.run({ a, b });
        runs++;
      }
      const seconds = (performance.now() - started) / 1000;
      bySize.push({ n, runs, gflops: (2 * n * n * n * runs) / seconds / 1e9 });
      onStep?.();
    }
  } finally {
    await session.release();
  }
  return { threads, bySize, flopsPerSecond: Math.max(...bySize.map((s) => s.gflops)) * 1e9 };
}
