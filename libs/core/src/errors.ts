/**
 * Typed errors. Every error the libraries throw on purpose is an `UnmaskError` with a stable
 * `code`, so callers (CLI, API) can map it to an exit status or an HTTP status without parsing
 * messages. Messages name the offending file, field or parameter.
 */
export type UnmaskErrorCode =
  /** A request parameter is invalid or contradicts another. */
  | 'invalid_parameter'
  /** A valid request this model cannot honour (e.g. a choice between text and a tool call it was not trained to make). */
  | 'unsupported_parameter'
  /** A model bundle is malformed: the message names the file and the field. */
  | 'invalid_bundle'
  /** An image or audio file cannot be decoded or breaks a limit. */
  | 'invalid_media'
  /** Input larger than a configured limit (bytes, pixels, seconds, tokens). */
  | 'too_large'
  /** The prompt does not fit in the model's positions. */
  | 'context_length_exceeded'
  /** No answer within the canvas, written with the model's vocabulary, satisfies the constraint. */
  | 'constraint_unsatisfiable'
  /** The caller aborted. */
  | 'aborted'
  /** A deadline passed. */
  | 'timeout'
  /** Something inside the runtime failed (a worker died, ONNX threw). */
  | 'runtime_error';

export class UnmaskError extends Error {
  override readonly name = 'UnmaskError';
  constructor(
    readonly code: UnmaskErrorCode,
    message: string,
    /** The parameter, field or file the error is about, when there is one. */
    readonly param?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isUnmaskError(error: unknown, code?: UnmaskErrorCode): error is UnmaskError {
  return error instanceof UnmaskError && (code === undefined || error.code === code);
}
