/**
 * The line protocol between the real-width benchmark and its engine processes (unmask,
 * llama.cpp through node-llama-cpp, PyTorch): one JSON request per line on the engine's stdin,
 * one JSON reply per line on its stdout. Every engine loads its model, answers `ready`, then
 * serves forwards until `exit`. Each engine runs in its own process so that its resident memory
 * is its own and a crash or a memory limit hits only it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export type EngineRequest =
  | { readonly op: 'forward'; readonly positions: number; readonly logits: number; readonly rows?: number }
  | { readonly op: 'memory' }
  | { readonly op: 'exit' };

export interface MemoryReply {
  /** Resident set size now (VmRSS), bytes. */
  readonly rss: number;
  /** Largest resident set size so far (VmHWM), bytes. */
  readonly peakRss: number;
}

export interface ReadyReply extends MemoryReply {
  readonly ready: true;
  /** Seconds from starting to load until the model could run. */
  readonly loadSeconds: number;
  /** Resident set size before the model was loaded (runtime and libraries only). */
  readonly baselineRss: number;
  /** The engine and its version, for the report. */
  readonly engine: string;
}

export interface ForwardReply {
  readonly seconds: number;
  /** Argmax token of each requested logit row of the first row of the batch (to compare engines). */
  readonly argmax: readonly number[];
}

export interface ErrorReply {
  readonly error: string;
}

/** VmRSS and VmHWM of this process, in bytes (Linux). */
export function processMemory(): MemoryReply {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib('VmRSS'), peakRss: kib('VmHWM') };
}

/**
 * The benchmark's input: S token ids spread over the vocabulary (deterministic, away from the
 * special and byte tokens), positions 0..S−1, logits for the last `logits` positions (a
 * diffusion block at the end of the sequence).
 */
export function benchTokens(positions: number, vocab: number): number[] {
  const span = Math.max(1, Math.min(vocab, 120000) - 1000);
  return Array.from({ length: positions }, (_, i) => 300 + ((i * 7919) % span));
}

/** Serves the protocol on stdin/stdout for an engine written in TypeScript. */
export async function serveEngine(handlers: {
  forward(positions: number, logits: number, rows: number): Promise<ForwardReply>;
  close(): Promise<void>;
}): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const request = JSON.parse(line) as EngineRequest;
    try {
      if (request.op === 'exit') break;
      const reply =
        request.op === 'memory'
          ? processMemory()
          : await handlers.forward(request.positions, request.logits, request.rows ?? 1);
      process.stdout.write(`${JSON.stringify(reply)}\n`);
    } catch (error) {
      process.stdout.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
    }
  }
  await handlers.close();
}

/** The benchmark's side: a started engine process. */
export class EngineProcess {
  private readonly replies: ((line: string) => void)[] = [];
  private readonly pending: string[] = [];
  private exited: string | undefined;
  private stderrTail = '';

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const waiting = this.replies.shift();
      if (waiting) waiting(line);
      else this.pending.push(line);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
    });
    child.on('exit', (code, signal) => {
      this.exited = `exited with ${signal ?? `code ${code}`}`;
      for (const waiting of this.replies.splice(0))
        waiting(JSON.stringify({ error: `${label} ${this.exited}: ${this.stderrTail.trim().slice(-600)}` }));
    });
  }

  /** Starts the engine and waits for it to load (or fail). */
  static async start(
    label: string,
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
  ): Promise<{ engine: EngineProcess; ready: ReadyReply }> {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const engine = new EngineProcess(label, child);
    const ready = await engine.next<ReadyReply>();
    return { engine, ready };
  }

  async forward(positions: number, logits: number, rows = 1): Promise<ForwardReply> {
    return this.ask<ForwardReply>({ op: 'forward', positions, logits, rows });
  }

  async memory(): Promise<MemoryReply> {
    return this.ask<MemoryReply>({ op: 'memory' });
  }

  /** Asks the engine to exit and waits for it (killed after `graceMs`). */
  async stop(graceMs = 30000): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end(`${JSON.stringify({ op: 'exit' })}\n`);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
  }

  private async ask<T>(request: EngineRequest): Promise<T> {
    if (this.exited) throw new Error(`${this.label} ${this.exited}: ${this.stderrTail.trim().slice(-600)}`);
    this.child.stdin!.write(`${JSON.stringify(request)}\n`);
    return this.next<T>();
  }

  private async next<T>(): Promise<T> {
    const line =
      this.pending.shift() ??
      (this.exited
        ? JSON.stringify({ error: `${this.label} ${this.exited}: ${this.stderrTail.trim().slice(-600)}` })
        : await new Promise<string>((resolve) => this.replies.push(resolve)));
    const reply = JSON.parse(line) as T | ErrorReply;
    if (typeof reply === 'object' && reply !== null && 'error' in reply)
      throw new Error(`${this.label}: ${reply.error}`);
    return reply as T;
  }
}
