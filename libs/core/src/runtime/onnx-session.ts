/**
 * One ONNX graph loaded in a worker of an `OnnxWorkerPool`: a `GraphRunner` whose `run` is
 * asynchronous and does not block the calling thread. It reaches its worker through the narrow
 * `WorkerChannel` (the pool implements it), not the pool itself.
 */
import { UnmaskError } from '../errors.js';
import type { GraphIO, GraphRunner, TensorData } from './graph-runner.js';
import type { WorkerChannel } from './worker-protocol.js';

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
    readonly channel: WorkerChannel,
    /** The worker holding the session. */
    readonly workerIndex: number,
    readonly sessionId: number,
    /** The graph file. */
    readonly path: string,
    readonly inputs: readonly GraphIO[],
    readonly outputs: readonly GraphIO[],
    /** Graph outputs of the file this session was loaded without (`dropOutputs`): never fetched. */
    readonly dropped: readonly GraphIO[] = [],
  ) {}

  async run(
    feeds: Readonly<Record<string, TensorData>>,
    outputNames?: readonly string[],
    options: RunOptions = {},
  ): Promise<Record<string, TensorData>> {
    this.checkUsable();
    this.checkInputs(Object.keys(feeds));
    const transfer = options.transferInputs
      ? [...new Set(Object.values(feeds).map((t) => t.data.buffer))].filter(
          (b): b is ArrayBuffer => b instanceof ArrayBuffer,
        )
      : [];
    const body = {
      sessionId: this.sessionId,
      feeds: { ...feeds },
      ...(outputNames ? { outputNames: [...outputNames] } : {}),
    };
    return this.channel.call(this.workerIndex, 'run', body, transfer);
  }

  input(name: string): GraphIO | undefined {
    return this.inputs.find((io) => io.name === name);
  }

  output(name: string): GraphIO | undefined {
    return this.outputs.find((io) => io.name === name);
  }

  /** Throws when the session was released. */
  checkUsable(): void {
    if (this.released) throw new UnmaskError('runtime_error', `${this.path}: the ONNX session was released`);
  }

  /** Throws when a feed's name is no input of the graph. */
  checkInputs(names: readonly string[]): void {
    const known = new Set(this.inputs.map((input) => input.name));
    for (const name of names) {
      if (!known.has(name)) {
        throw new UnmaskError(
          'invalid_parameter',
          `${this.path}: the graph has no input "${name}" (inputs: ${[...known].join(', ')})`,
          name,
        );
      }
    }
  }

  /** Frees the session in its worker. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.channel.forgetSession(this.workerIndex, this.sessionId);
    await this.channel.call(this.workerIndex, 'release-session', { sessionId: this.sessionId });
  }
}
