/**
 * A running decode as the caller sees it: each engine step read into an `AskStep` (the answer's new
 * text, a tool call, log-probabilities, cells), and the finished decode into an `AskResult`. What
 * the answer is (stop sequences, tool calls, JSON) is decided by the readers built beside the run.
 */
import type { DecodeStream, StepEvent } from '@unmask/core';
import type { AnswerFinishReason, AskResult, AskStep, PreparedPrompt, StreamOptions } from './ask-request.js';
import type { AnswerLogprob, AnswerLogprobs } from './answer/answer-logprobs.js';
import type { AnswerText } from './answer/answer-text.js';
import type { ToolAnswerText, ToolCall } from './answer/tool-calls.js';

/** A started decode and what reads its answer (`Unmask`'s decode step builds it). */
export interface Decoding {
  readonly run: DecodeStream;
  readonly answer: AnswerText;
  readonly tool: ToolAnswerText | undefined;
  /** New log-probability readers, when the request asked for them. */
  readonly logprobs: (() => AnswerLogprobs) | undefined;
  readonly decode: (ids: readonly number[]) => string;
  readonly promptTokens: number;
  /** Forward passes spent choosing the answer's length. */
  readonly sizing: number;
  /** Whether a canvas ending without end-of-text was cut by a bound (else it ended the answer). */
  readonly cut: boolean;
  /** Milliseconds from preparing to now. */
  readonly ms: () => number;
  readonly prepared: PreparedPrompt;
  /** An error in the request's own field names. */
  readonly named: (error: unknown) => unknown;
}

/**
 * Reads a decode's steps: `held` keeps the text back (a checked answer is sent whole, with the
 * result), `logprobs` streams them step by step.
 */
export function stepReader(
  { answer, tool }: Decoding,
  options: StreamOptions,
  held: boolean,
  logprobs: AnswerLogprobs | undefined,
): (step: StepEvent) => AskStep {
  return (step) => {
    const raw = answer.advance(step.canvas);
    let delta = held ? '' : raw;
    let toolCall: AskStep['toolCall'];
    if (tool) {
      const read = tool.advance(answer.text);
      delta = read.content;
      toolCall = read.call;
    }
    let stepLogprobs: AnswerLogprob[] | undefined;
    if (logprobs) {
      logprobs.record(step.committed);
      const content = tool ? tool.content : answer.text;
      if (!tool?.isCall) stepLogprobs = logprobs.advance(answer.committedIds, content.length);
    }
    return {
      ...step,
      delta,
      stopped: tool ? tool.stopped : answer.stopped,
      ...(toolCall ? { toolCall } : {}),
      ...(stepLogprobs ? { logprobs: stepLogprobs } : {}),
      ...(options.cells ? { cells: step.canvas.map((id) => answer.cell(id)) } : {}),
    };
  };
}

/** A finished decode as the request's result: its text (or call), finish reason, counts and log-probabilities. */
export async function finishDecoding(decoding: Decoding): Promise<AskResult> {
  const { run, answer, tool, logprobs, promptTokens, sizing, cut, decode, ms, named } = decoding;
  const decoded = await run.result.catch((error: unknown) => {
    throw named(error);
  });
  // Without end-of-text the answer was cut only when the canvas reached the caller's bound
  // or the model's positions; a canvas of the model's own length ends the answer.
  const engineFinish = decoded.finishReason === 'length' && !cut ? 'stop' : decoded.finishReason;
  let final: { text: string; finishReason: AnswerFinishReason; toolCalls?: ToolCall[] };
  if (tool) {
    const read = tool.finish(decode(decoded.tokenIds));
    final = read.call
      ? { text: '', finishReason: 'tool_calls', toolCalls: [read.call] }
      : { text: read.text, finishReason: read.stopped ? 'stop' : engineFinish };
  } else final = answer.final(decoded.tokenIds, engineFinish);
  const { logprobs: byPosition, ...rest } = decoded;
  let answerLogprobs: AnswerLogprob[] | undefined;
  if (logprobs && !final.toolCalls) {
    const all = logprobs();
    all.record((byPosition ?? []).flatMap((logprob, position) => (logprob ? [{ position, logprob }] : [])));
    answerLogprobs = all.finish(decoded.tokenIds, final.text.length);
  }
  return {
    ...rest,
    forwardPasses: decoded.forwardPasses + sizing,
    steps: decoded.steps + sizing,
    ...final,
    ...(answerLogprobs ? { logprobs: answerLogprobs } : {}),
    promptTokens,
    completionTokens: decoded.tokenIds.length,
    canvasLength: run.layout.length,
    ms: ms(),
  };
}
