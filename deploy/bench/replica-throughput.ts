/**
 * Requests per second one API replica serves, by size (the CPUs it may use, set with taskset),
 * on the embedded default model, for the sizing table in docs/deploy.md. Each size runs in turn,
 * interleaved over rounds; the load generator (autocannon, in this process) is not pinned. It
 * also reads the replica's peak resident memory (VmHWM). It prints numbers; it asserts nothing.
 *
 *   node --import tsx deploy/bench/replica-throughput.ts
 *   BENCH_SIZES="0;0,1" BENCH_ROUNDS=2 BENCH_SECONDS=20 BENCH_CONNECTIONS=16 node --import tsx deploy/bench/replica-throughput.ts
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sizes = (process.env.BENCH_SIZES ?? '0;0,1').split(';');
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SAMPLES = join(ROOT, 'apps/demo/public/samples');

const image = readFileSync(join(SAMPLES, 'shapes-2.png')).toString('base64');
const wav = readFileSync(join(SAMPLES, 'command-1.wav')).toString('base64');
const BODIES = {
  image: JSON.stringify({
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: `data:image/png;base64,${image}` } },
          { type: 'text', text: 'what color is the diamond' },
        ],
      },
    ],
    max_tokens: 16,
  }),
  audio: JSON.stringify({
    messages: [
      {
        role: 'user',
        content: [
          { type: 'input_audio', input_audio: { data: wav, format: 'wav' } },
          { type: 'text', text: 'what is the intent' },
        ],
      },
    ],
    max_tokens: 32,
  }),
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function measure(cpus: string, kind: keyof typeof BODIES) {
  const port = await freePort();
  const child = spawn('taskset', ['-c', cpus, process.execPath, '--import', 'tsx', 'apps/api/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production' },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (
    !(await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error('the server did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  const run = (duration: number) =>
    autocannon({
      url: `${url}/v1/chat/completions`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODIES[kind],
      connections,
      duration,
    });
  await run(3); // warm-up
  const load = loadavg()[0]!;
  const result = await run(seconds);
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const peakMiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return {
    cpus,
    kind,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
    peakMiB: Math.round(peakMiB),
    load: Math.round(load * 10) / 10,
  };
}

const rows: Awaited<ReturnType<typeof measure>>[] = [];
for (let round = 1; round <= rounds; round++)
  for (const cpus of sizes)
    for (const kind of Object.keys(BODIES) as (keyof typeof BODIES)[]) {
      const row = await measure(cpus, kind);
      rows.push(row);
      console.log(JSON.stringify({ round, ...row }));
    }
console.log(
  `\n${connections} connections, ${seconds} s per run, ${rounds} rounds interleaved; load average at the start of each run in the last column`,
);
console.log('| CPUs (taskset) | request | req/s | p50 ms | p99 ms | failed | peak RSS MiB | load |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(
    `| ${r.cpus} | ${r.kind} | ${r.rps.toFixed(1)} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.peakMiB} | ${r.load} |`,
  );
