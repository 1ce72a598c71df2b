/** A description of the machine and software a run measured, read at run time. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly logicalCpus: number;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly node: string;
  readonly onnxruntimeNode: string;
  /** `uptime` load averages (1, 5, 15 min) at the start and the end of the run. */
  readonly loadAtStart: readonly number[];
  loadAtEnd?: readonly number[];
  /** Other processes using CPU at the start (top, by %CPU), to judge the load. */
  readonly busyProcesses: readonly string[];
  readonly startedAt: string;
}

function onnxruntimeVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

function busyProcesses(): string[] {
  try {
    const out = execFileSync('ps', ['-eo', 'pcpu,comm', '--sort=-pcpu', '--no-headers'], { encoding: 'utf8' });
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && Number(l.split(/\s+/)[0]) >= 10)
      .slice(0, 6);
  } catch {
    return [];
  }
}

/** The 1, 5 and 15 minute load averages, to two decimals. */
export const loadAverage = (): number[] => os.loadavg().map((l) => Math.round(l * 100) / 100);

export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    logicalCpus: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    onnxruntimeNode: onnxruntimeVersion(),
    loadAtStart: loadAverage(),
    busyProcesses: busyProcesses(),
    startedAt: new Date().toISOString(),
  };
}
