/**
 * Graphs run one after the other, each fed from the outputs of the one before (a tower's
 * encoder, then its projector or adapter). When every graph is a session of the same ONNX
 * worker the chain is one request to that worker and the intermediate tensors (a tower's hidden
 * states) never leave it; other runners (test doubles, sessions in different workers) run link
 * by link here, through the same `feedsOfLink`.
 */
import { UnmaskError } from '../errors.js';
import type { GraphIO, GraphRunner, TensorData } from './graph-runner.js';
import { OnnxSession } from './onnx-session.js';
import { fitTensor } from './tensor-fit.js';

export interface ChainLink {
  readonly graph: GraphRunner;
  /** Names the graph in errors (e.g. "projector"). */
  readonly label: string;
  /** Feeds from the caller. */
  readonly feeds?: Readonly<Record<string, TensorData>>;
  /**
   * Inputs fed from the previous link's outputs, input name → output name; each tensor is
   * fitted to the input's declared rank and type (tensor-fit.ts).
   */
  readonly from?: Readonly<Record<string, string>>;
  /** Outputs to compute; the next link reads its `from` among them. */
  readonly outputs: readonly string[];
}

/** Runs the links in order and returns the last link's outputs. */
export async function runChain(links: readonly ChainLink[]): Promise<Record<string, TensorData>> {
  const first = links[0]?.graph;
  const sessions = links.map((l) => l.graph).filter((g): g is OnnxSession => g instanceof OnnxSession);
  if (
    first instanceof OnnxSession &&
    sessions.length === links.length &&
    sessions.every((s) => s.channel === first.channel && s.workerIndex === first.workerIndex)
  ) {
    const wire = links.map((link, i) => {
      const session = sessions[i] as OnnxSession;
      session.checkUsable();
      session.checkInputs([...Object.keys(link.feeds ?? {}), ...Object.keys(link.from ?? {})]);
      return {
        sessionId: session.sessionId,
        feeds: { ...link.feeds },
        ...(link.from ? { from: link.from } : {}),
        outputNames: link.outputs,
        label: link.label,
      };
    });
    return first.channel.call(first.workerIndex, 'run-chain', { links: wire });
  }
  let previous: Record<string, TensorData> = {};
  for (const link of links) {
    previous = await link.graph.run(feedsOfLink(link, link.graph.inputs, previous), link.outputs);
  }
  return previous;
}

/** A link's feeds: its own, and those `from` the previous link's outputs fitted to the inputs. */
export function feedsOfLink(
  link: Pick<ChainLink, 'label' | 'feeds' | 'from'>,
  inputs: readonly GraphIO[],
  previous: Readonly<Record<string, TensorData>>,
): Record<string, TensorData> {
  const feeds: Record<string, TensorData> = { ...link.feeds };
  for (const [input, output] of Object.entries(link.from ?? {})) {
    const tensor = previous[output];
    if (!tensor)
      throw new UnmaskError('runtime_error', `the graph before the ${link.label} returned no '${output}'`, output);
    const io = inputs.find((i) => i.name === input);
    if (!io) throw new UnmaskError('invalid_bundle', `${link.label} graph has no input '${input}'`, link.label);
    feeds[input] = fitTensor(tensor, io, link.label);
  }
  return feeds;
}
