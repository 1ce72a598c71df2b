/**
 * One ONNX graph loaded in a worker of an `OnnxWorkerPool`: a `GraphRunner` whose `run` is
 * asynchronous and does not block the calling thread.
 */
import { UnmaskError } from '../errors.js';
import type { GraphIO, GraphRunner, TensorData } from './graph-runner.js';
import type { OnnxWorkerPool } from './worker-pool.js';

export interface RunOptions {
  /**
   * Move the feeds' buffers to the worker instead of copying them. The caller's typed arrays
   * are unusable afterwards. Outputs always come back by transfer.
   */
  readonly transferInputs?: boolean;
}

export class OnnxSession implements GraphRunner {
  private released = false;

  constructor(
    readonly pool: OnnxWorkerPool,
    /** The worker holding the session. */
    readonly workerIndex: number,
    readonly sessionId: number,
    /** The graph file. */
    readonly path: string,
    readonly inputs: readonly GraphIO[],
    readonly outputs: readonly GraphIO[],
  ) {}

  async run(
    feeds: Readonly<Record<string, TensorData>>,
    outputNames?: readonly string[],
    options: RunOptions = {},
  ): Promise<Record<string, TensorData>> {
    if (this.released) throw new UnmaskError('runtime_error', `${this.path}: the ONNX session was released`);
    const known = new Set(this.inputs.map((input) => input.name));
    for (const name of Object.keys(feeds)) {
      if (!known.has(name)) {
        throw new UnmaskError(
          'invalid_parameter',
          `${this.path}: the graph has no input "${name}" (inputs: ${[...known].join(', ')})`,
          name,
        );
      }
    }
    const transfer = options.transferInputs
      ? [...new Set(Object.values(feeds).map((t) => t.data.buffer))].filter(
          (b): b is ArrayBuffer => b instanceof ArrayBuffer,
        )
      : [];
    const body = {
      kind: 'run' as const,
      sessionId: this.sessionId,
      feeds: { ...feeds },
      ...(outputNames ? { outputNames: [...outputNames] } : {}),
    };
    return (await this.pool.request(this.workerIndex, body, transfer)) as Record<string, TensorData>;
  }

  input(name: string): GraphIO | undefined {
    return this.inputs.find((io) => io.name === name);
  }

  output(name: string): GraphIO | undefined {
    return this.outputs.find((io) => io.name === name);
  }

  /** Frees the session in its worker. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.pool.forgetSession(this.workerIndex, this.sessionId);
    await this.pool.request(this.workerIndex, { kind: 'release-session', sessionId: this.sessionId });
  }
}
