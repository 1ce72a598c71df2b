/**
 * The FLOP floor of the real-width benchmark, two ways:
 *
 * - **From the CPU**: cores × FMA units × vector lanes × 2 FLOPs × clock. The cores, flags and
 *   clock come from lscpu and /proc/cpuinfo; the number of FMA units per core is not reported by
 *   lscpu or cpuid, so it comes from the microarchitecture (vendor and family, table below, the
 *   vendors' optimisation manuals) and the report says which entry was used. The int8 peak
 *   assumes VNNI (vpdpbusd: 4 int8 multiply-adds per 32-bit lane per instruction) where the CPU
 *   has it.
 * - **From the libraries**: the best float32 rate any library reaches here: onnxruntime
 *   (fixtures/matmul.onnx, square and the layer's MLP shape), numpy (Debian's, OpenBLAS) and
 *   torch; plus torch's int8 dynamic-quantised Linear (fbgemm) for the int8 rows.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { MATMUL_GRAPH } from '../matmul-rate.js';

export interface CpuPeak {
  readonly model: string;
  readonly vendor: string;
  readonly family: number;
  readonly cores: number;
  readonly clockMHz: number;
  /** Where the clock came from (lscpu max MHz, or the current MHz of /proc/cpuinfo). */
  readonly clockSource: string;
  readonly vectorBits: number;
  readonly fmaUnits: number;
  /** The table entry (microarchitecture) the FMA units came from. */
  readonly microarchitecture: string;
  readonly vnni: boolean;
  /** float32 FLOP/s. */
  readonly fp32: number;
  /** int8 multiply-add operations × 2 per second (VNNI), or null without VNNI. */
  readonly int8: number | null;
}

interface Microarchitecture {
  readonly name: string;
  /** FMA pipes per core. */
  readonly fmaUnits: number;
  /** The widest vector the pipes execute at full rate (AVX-512 on Zen 4 is split in two 256-bit halves). */
  readonly maxBits: number;
}

/** FMA pipes per core by vendor and CPU family; what lscpu and cpuid do not say. */
export function microarchitecture(vendor: string, family: number): Microarchitecture {
  if (vendor === 'AuthenticAMD') {
    if (family >= 0x1a)
      return { name: 'AMD Zen 5 (family 0x1A): 2 FMA pipes, 512-bit datapath', fmaUnits: 2, maxBits: 512 };
    if (family === 0x19)
      return { name: 'AMD Zen 3/4 (family 0x19): 2 FMA pipes, 256-bit datapath', fmaUnits: 2, maxBits: 256 };
    if (family === 0x17)
      return { name: 'AMD Zen/Zen 2 (family 0x17): 2 FMA pipes, 256-bit datapath', fmaUnits: 2, maxBits: 256 };
  }
  if (vendor === 'GenuineIntel')
    return { name: 'Intel (Haswell and later): 2 FMA pipes at the widest vector', fmaUnits: 2, maxBits: 512 };
  return { name: 'unknown: assumed 2 FMA pipes', fmaUnits: 2, maxBits: 512 };
}

function lscpu(): Record<string, string> {
  try {
    const out = execFileSync('lscpu', { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    return Object.fromEntries(
      out
        .split('\n')
        .map((line) => line.split(/:\s+/, 2))
        .filter((kv): kv is [string, string] => kv.length === 2)
        .map(([k, v]) => [k.trim(), v.trim()]),
    );
  } catch {
    return {};
  }
}

export function cpuPeak(): CpuPeak {
  const info = lscpu();
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(cpuinfo)?.[1]?.trim() ?? '';
  const flags = new Set((info.Flags ?? field('flags')).split(/\s+/));
  const vendor = info['Vendor ID'] ?? field('vendor_id');
  const family = Number(info['CPU family'] ?? field('cpu family'));
  const cores =
    Number(info['Core(s) per socket'] ?? 1) * Number(info['Socket(s)'] ?? 1) ||
    Number(info['CPU(s)'] ?? field('processor')) ||
    1;
  const maxMHz = Number(info['CPU max MHz'] ?? Number.NaN);
  const currentMHz = Number(field('cpu MHz'));
  const clockMHz = Number.isFinite(maxMHz) && maxMHz > 0 ? maxMHz : currentMHz;
  const clockSource = Number.isFinite(maxMHz) && maxMHz > 0 ? 'lscpu "CPU max MHz"' : '/proc/cpuinfo "cpu MHz"';
  const micro = microarchitecture(vendor, family);
  const isaBits = flags.has('avx512f') ? 512 : flags.has('avx2') || flags.has('avx') ? 256 : 128;
  const vectorBits = Math.min(isaBits, micro.maxBits);
  const lanes = vectorBits / 32;
  const fp32 = cores * micro.fmaUnits * lanes * 2 * clockMHz * 1e6;
  const vnni = flags.has('avx512_vnni') || flags.has('avx_vnni');
  return {
    model: info['Model name'] ?? field('model name'),
    vendor,
    family,
    cores,
    clockMHz,
    clockSource,
    vectorBits,
    fmaUnits: micro.fmaUnits,
    microarchitecture: micro.name,
    vnni,
    fp32,
    int8: vnni ? fp32 * 4 : null,
  };
}

export interface GemmRate {
  readonly library: string;
  readonly shape: readonly [number, number, number];
  /** FLOP/s. */
  readonly rate: number;
}

/** float32 MatMul through onnxruntime-node on the benchmark's matmul graph. */
export async function onnxruntimeRates(
  threads: number,
  shapes: readonly (readonly [number, number, number])[],
  seconds: number,
): Promise<GemmRate[]> {
  const session = await ort.InferenceSession.create(MATMUL_GRAPH, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const rates: GemmRate[] = [];
  try {
    for (const [m, k, n] of shapes) {
      const fill = (count: number, seed: number) =>
        Float32Array.from({ length: count }, (_, i) => ((i * seed) % 97) / 97 - 0.5);
      const a = new ort.Tensor('float32', fill(m * k, 7919), [m, k]);
      const b = new ort.Tensor('float32', fill(k * n, 104729), [k, n]);
      await session.run({ a, b });
      let runs = 0;
      const started = performance.now();
      while (performance.now() - started < seconds * 1000 || runs < 2) {
        await session.run({ a, b });
        runs++;
      }
      rates.push({
        library: 'onnxruntime fp32',
        shape: [m, k, n],
        rate: (2 * m * k * n * runs) / ((performance.now() - started) / 1000),
      });
    }
  } finally {
    await session.release();
  }
  return rates;
}

const GEMM_SCRIPT = fileURLToPath(new URL('gemm_rate.py', import.meta.url));

/** numpy / torch float32 and torch int8 rates (a Python child with the same thread count). */
export function pythonRates(
  python: string,
  threads: number,
  shapes: readonly (readonly [number, number, number])[],
  seconds: number,
): { rates: GemmRate[]; versions: string } {
  const out = execFileSync(python, [GEMM_SCRIPT, String(threads), String(seconds), ...shapes.map((s) => s.join(','))], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
    maxBuffer: 1 << 20,
  });
  const parsed = JSON.parse(out) as {
    numpy: string;
    torch: string;
    blas: string;
    rates: { shape: [number, number, number]; numpy_fp32: number; torch_fp32: number; torch_int8: number }[];
  };
  const rates = parsed.rates.flatMap((r) => [
    { library: `numpy fp32 (BLAS: ${parsed.blas})`, shape: r.shape, rate: r.numpy_fp32 },
    { library: 'torch fp32', shape: r.shape, rate: r.torch_fp32 },
    { library: 'torch int8 (fbgemm dynamic)', shape: r.shape, rate: r.torch_int8 },
  ]);
  return { rates, versions: `numpy ${parsed.numpy}, torch ${parsed.torch}` };
}

export interface Floor {
  readonly cpu: CpuPeak;
  readonly gemm: readonly GemmRate[];
  readonly pythonVersions: string;
  /** Best float32 rate of any library. */
  readonly bestFp32: GemmRate;
  /** Best int8 rate of any library, if measured. */
  readonly bestInt8?: GemmRate;
}

export async function measureFloor(
  threads: number,
  python: string | undefined,
  shapes: readonly (readonly [number, number, number])[],
  seconds: number,
): Promise<Floor> {
  const cpu = cpuPeak();
  const gemm = await onnxruntimeRates(threads, shapes, seconds);
  let pythonVersions = 'not measured (no python3 with torch)';
  if (python) {
    try {
      const measured = pythonRates(python, threads, shapes, seconds);
      gemm.push(...measured.rates);
      pythonVersions = measured.versions;
    } catch (error) {
      pythonVersions = `not measured: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  const best = (pick: (g: GemmRate) => boolean) =>
    gemm.filter(pick).reduce<GemmRate | undefined>((a, b) => (!a || b.rate > a.rate ? b : a), undefined);
  const bestFp32 = best((g) => g.library.includes('fp32'))!;
  const bestInt8 = best((g) => g.library.includes('int8'));
  return { cpu, gemm, pythonVersions, bestFp32, ...(bestInt8 ? { bestInt8 } : {}) };
}
