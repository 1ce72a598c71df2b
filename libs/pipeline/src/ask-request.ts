/**
 * What the pipeline takes and gives: a request (`AskRequest`), the prompt it is prepared into
 * (`PreparedPrompt`: everything up to the answer canvas, media already encoded), and the answer,
 * whole (`AskResult`) or step by step (`AskStep`).
 */
import type {
  CacheMode,
  DecodeResult,
  FinishReason,
  ResponseTemplate,
  SamplingInput,
  SplicedEmbeddings,
  StepEvent,
  TokenConstraint,
} from '@unmask/core';
import type { AnswerLogprob } from './answer/answer-logprobs.js';
import type { ResponseFormat } from './answer/response-format.js';
import type { ToolCall, ToolPlan, ToolRequest } from './answer/tool-calls.js';
import type { MediaInput, RequestFields } from './request-fields.js';

export interface AskRequest {
  readonly prompt: string;
  /** Encoded image files (PNG, JPEG, WebP, GIF, TIFF, AVIF), each maybe with the request field it came from. */
  readonly images?: readonly MediaInput[];
  /** WAV files, each maybe with the request field it came from. */
  readonly audio?: readonly MediaInput[];
  /**
   * How the caller's own request names these fields (an HTTP body's `max_tokens`, `messages`),
   * so that errors name them; each defaults to the name here.
   */
  readonly fields?: RequestFields;
  /**
   * The most answer tokens (default: the model's decoding defaults, else 32): an upper bound. The
   * canvas is the bundle's trained answer length (or, for a family whose upstream code decodes a
   * fixed canvas, its `decoding.max_tokens`) or DAEDAL's sized length within it (core's
   * answer-length.ts), unless `fixedCanvas` asks for exactly `maxTokens` positions.
   */
  readonly maxTokens?: number;
  /** Decode exactly `maxTokens` positions (benchmarks, evaluations of a fixed canvas). */
  readonly fixedCanvas?: boolean;
  /**
   * Earlier turns of a conversation (system messages, user and assistant turns, tool results);
   * `prompt` and the media are the last user turn. The bundle decides how they map to the prompt
   * (manifest `generation.conversation`): a chat template renders them all, with every turn's
   * media; the default model answers the last user turn alone, with the latest image and sound
   * (conversation-media.ts).
   */
  readonly history?: readonly HistoryMessage[];
  /**
   * A strategy by name with its parameters, validated by the engine; what it leaves out comes
   * from the model's decoding defaults (the bundle's `decoding` section).
   */
  readonly strategy?: unknown;
  readonly sampling?: SamplingInput;
  readonly cache?: CacheMode;
  /** A response template (structure prior): fixed tokens and free slots. */
  readonly template?: ResponseTemplate;
  /**
   * What the answer must be (`json_object`, `json_schema`, `regex`, `choice`; `text` is free):
   * grammar-constrained decoding keeps it so at every step, whatever the prompt.
   */
  readonly responseFormat?: ResponseFormat;
  /** The answer ends before the first occurrence of any of these (OpenAI's `stop`). */
  readonly stop?: readonly string[];
  /**
   * Functions the answer may (`auto`) or must (`required`, a named one) call: the call is
   * grammar-constrained to an offered name and that function's arguments schema, written as
   * the bundle's model writes calls (answer/tool-calls.ts). Not with `responseFormat`.
   */
  readonly tools?: ToolRequest;
  /**
   * Report each answer token's log-probability at the step that committed it, with this many
   * most likely alternatives (0 to 20). Text answers only (not a tool call's arguments).
   */
  readonly logprobs?: number;
  readonly signal?: AbortSignal;
}

/** An earlier turn: an assistant turn may carry the calls it made, a `tool` turn answers one. */
export interface HistoryMessage {
  readonly role: string;
  readonly content: string;
  readonly tool_calls?: readonly { readonly id: string; readonly name: string; readonly arguments: string }[];
  readonly tool_call_id?: string;
  /** The turn's images and sounds (a user turn's), in the request's order. */
  readonly images?: readonly MediaInput[];
  readonly audio?: readonly MediaInput[];
}

/** `tool_calls`: the answer is a call (`toolCalls`), not text. */
export type AnswerFinishReason = FinishReason | 'tool_calls';

export interface AskResult extends Omit<DecodeResult, 'finishReason' | 'logprobs'> {
  /** The answer's text, cut at the first stop sequence ('' when the answer is a tool call). */
  readonly text: string;
  /** `stop` also when a stop sequence ended the text; `tool_calls` when the answer is a call. */
  readonly finishReason: AnswerFinishReason;
  /** The answer's call, when it is one (one call per answer). */
  readonly toolCalls?: readonly ToolCall[];
  /** When asked for: every token of the text answer, in order (answer/answer-logprobs.ts). */
  readonly logprobs?: readonly AnswerLogprob[];
  readonly promptTokens: number;
  /** Answer tokens after trimming. */
  readonly completionTokens: number;
  /** Positions of the answer canvas decoded (chosen within `maxTokens`). */
  readonly canvasLength: number;
  /** Milliseconds from the call to the result, media encoding included. */
  readonly ms: number;
  /**
   * Set when the whole-answer check (the bundle's `generation.refusal`) decoded the answer again
   * one token per step: the first decode's text. `forwardPasses`, `steps` and `ms` count both, and
   * a stream's steps are the first decode's, then the second's.
   */
  readonly decodedAgain?: { readonly text: string };
}

export interface AskStep extends StepEvent {
  /**
   * The answer's new text: the committed prefix grows left to right and is sent once safe (no
   * incomplete character, nothing that may begin a stop sequence). The deltas of all steps make
   * a prefix of the result's `text`; what they have not sent yet is the rest of it. A model that
   * declares its refusal (`generation.refusal`) sends its text answers whole: every delta is ''
   * until the result, which the whole-answer check may have decoded again (its steps follow).
   */
  readonly delta: string;
  /** A stop sequence was reached: the text is final and later steps carry no delta. */
  readonly stopped: boolean;
  /**
   * A tool call's progress: its name the first time it is known, then its arguments' new text
   * (all of it adds up to a prefix of the result's call). `delta` is '' for a call.
   */
  readonly toolCall?: { readonly name?: string; readonly arguments: string };
  /** When log-probabilities were asked for: the tokens `delta` completed (a prefix of the result's list). */
  readonly logprobs?: readonly AnswerLogprob[];
  /** Text of each canvas cell (null for masks, '' for EOS and padding), when the stream was asked for it. */
  readonly cells?: readonly (string | null)[];
}

export interface AskStream extends AsyncIterable<AskStep> {
  readonly result: Promise<AskResult>;
}

export interface StreamOptions {
  /** Decode the text of every canvas cell at every step (`AskStep.cells`). Default false. */
  readonly cells?: boolean;
}

/**
 * A request prepared up to the answer canvas (`Unmask.prepare`): checked, its prompt built, its
 * media encoded by the towers and spliced. `Unmask.generate` decodes it.
 */
export interface PreparedPrompt {
  /** The request it was prepared from; its decoding options (length, strategy, format) apply. */
  readonly request: AskRequest;
  /** The prompt's ids, each placeholder expanded to its media's rows. */
  readonly promptIds: number[];
  /** The media features and where they are spliced. */
  readonly embeddings: SplicedEmbeddings[];
  /** Only when the bundle's LM uses M-RoPE: the prompt's [3, prompt] positions. */
  readonly mropePositions?: Int32Array;
  /** The response format's or tools' constraint, compiled against the vocabulary. */
  readonly constraint?: TokenConstraint;
  /** The tools' plan, when the request offers tools. */
  readonly plan?: ToolPlan;
  /** Milliseconds the preparing took (media encoding included). */
  readonly ms: number;
}
