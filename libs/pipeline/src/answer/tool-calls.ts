/**
 * Tool calls (OpenAI's `tools` and `tool_choice`). The answer is constrained, with the same
 * grammar-constrained decoding as structured outputs, to a call of an offered function: its
 * name among the offered names, its arguments to the function's JSON Schema, written the way
 * the bundle's model writes calls (manifest `generation.tool_calls`):
 *
 * - `json`: `{"name": …, "arguments": {…}}` between the bundle's prefix and suffix; under
 *   `auto` (only when the bundle declares its model can choose) a plain text answer is allowed
 *   too, and the answer is a call exactly when it begins like one.
 * - `arguments`: the arguments object alone (the default model answers in JSON); the function
 *   is the one the request names or offers alone, else the first whose schema the arguments
 *   satisfy (the arguments are constrained to any of them). Such a model cannot choose between
 *   text and a call: `auto` is refused.
 *
 * `ToolAnswerText` reads the answer's text as it grows: a call's name once known, then its
 * arguments' new text, so a stream sends OpenAI's tool-call deltas; or, under `auto`, the text.
 */
import { constraintPattern, matchesConstraint, UnmaskError, type ConstraintSpec, type Manifest } from '@unmask/core';
import { cutAtStop, holdBack } from './stop-sequences.js';

export interface ToolFunction {
  readonly name: string;
  readonly description?: string;
  /** The arguments' JSON Schema; omitted: no arguments (`{}`). */
  readonly parameters?: Record<string, unknown>;
  /** The request field it came from (`tools[0].function`), which its errors name; default `tools.functions[i]`. */
  readonly field?: string;
}

/** `required`: some call; `{name}`: a call of that function; `auto`: the model chooses text or a call. */
export type ToolChoice = 'auto' | 'required' | { readonly name: string };

export interface ToolRequest {
  readonly functions: readonly ToolFunction[];
  readonly choice: ToolChoice;
}

export interface ToolCall {
  readonly name: string;
  /** The arguments' JSON text, exactly as the model wrote it. */
  readonly arguments: string;
}

export type ToolCallFormat = Required<NonNullable<NonNullable<Manifest['generation']>['tool_calls']>>;

/** A bundle that declares nothing: JSON calls, no prefix, and no choice between text and a call. */
export const DEFAULT_TOOL_CALL_FORMAT: ToolCallFormat = { format: 'json', prefix: '', suffix: '', auto: false };

const NO_ARGUMENTS = { type: 'object', properties: {}, additionalProperties: false };
const FUNCTION_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/** What a request's tools compile to: the answer's constraint and how to read it back. */
export interface ToolPlan {
  readonly spec: ConstraintSpec;
  readonly format: ToolCallFormat;
  /** The functions the answer may call, in the request's order. */
  readonly candidates: readonly ToolFunction[];
  /** Whether a text answer is allowed (`auto`). */
  readonly text: boolean;
}

const invalid = (message: string, param: string) => new UnmaskError('invalid_parameter', message, param);

/**
 * Checks the request's tools against the bundle and builds the answer's constraint. Errors name
 * each function by its `field`, the list and the choice by `fields` (default the pipeline's names).
 */
export function planToolCall(
  tools: ToolRequest,
  format: ToolCallFormat = DEFAULT_TOOL_CALL_FORMAT,
  fields: { readonly tools: string; readonly toolChoice: string } = {
    tools: 'tools.functions',
    toolChoice: 'tools.choice',
  },
): ToolPlan {
  const { functions, choice } = tools;
  if (functions.length === 0) throw invalid(`${fields.tools}: give at least one function`, fields.tools);
  const fieldOf = (f: ToolFunction, i: number) => f.field ?? `tools.functions[${i}]`;
  const seen = new Set<string>();
  functions.forEach((f, i) => {
    if (!FUNCTION_NAME.test(f.name))
      throw invalid(
        `${fieldOf(f, i)}.name: ${JSON.stringify(f.name)} is not a function name (letters, digits, _ . : -, at most 128)`,
        `${fieldOf(f, i)}.name`,
      );
    if (seen.has(f.name)) throw invalid(`${fieldOf(f, i)}.name: ${f.name} is offered twice`, `${fieldOf(f, i)}.name`);
    seen.add(f.name);
  });
  let candidates = functions;
  const choiceField = fields.toolChoice;
  if (typeof choice === 'object') {
    const named = functions.find((f) => f.name === choice.name);
    if (!named)
      throw invalid(`${choiceField}: no function named ${JSON.stringify(choice.name)} is offered`, choiceField);
    candidates = [named];
  }
  const text = choice === 'auto';
  if (text && !format.auto) {
    throw new UnmaskError(
      'unsupported_parameter',
      format.format === 'arguments'
        ? `${choiceField}: this model writes only a call’s arguments and cannot choose between a text answer and a tool call; send "required" or name a function (or send no tools for a text answer)`
        : `${choiceField}: this model does not declare that it can choose between a text answer and a tool call (manifest generation.tool_calls.auto); send "required" or name a function`,
      choiceField,
    );
  }
  // Each function's schema is checked on its own, so an error names it.
  const parametersOf = (f: ToolFunction) => f.parameters ?? NO_ARGUMENTS;
  functions.forEach((f, i) =>
    constraintPattern({ type: 'json_schema', schema: parametersOf(f) }, `${fieldOf(f, i)}.parameters`),
  );
  const schema =
    format.format === 'arguments'
      ? candidates.length === 1
        ? parametersOf(candidates[0] as ToolFunction)
        : { anyOf: candidates.map(parametersOf) }
      : {
          anyOf: candidates.map((f) => ({
            type: 'object',
            properties: { name: { const: f.name }, arguments: parametersOf(f) },
            required: ['name', 'arguments'],
            additionalProperties: false,
          })),
        };
  return {
    spec: { type: 'tool_call', schema, prefix: format.prefix, suffix: format.suffix, text },
    format,
    candidates,
    text,
  };
}

/** What the answer's text says so far, or in the end. */
export interface ToolAnswerDelta {
  /** Text answer (under `auto`): its new text. */
  readonly content: string;
  /** A call: its name the first time it is known, and its arguments' new text. */
  readonly call?: { readonly name?: string; readonly arguments: string };
}

/** Reads a tool-constrained answer as its text grows. Stop sequences apply to a text answer only. */
export class ToolAnswerText {
  private kind: 'undecided' | 'text' | 'call';
  private nameSent = false;
  private argumentsSent = '';
  private textSent = '';
  private textStopped = false;

  constructor(
    private readonly plan: ToolPlan,
    private readonly stop: readonly string[],
  ) {
    this.kind = plan.text ? 'undecided' : 'call';
  }

  /** Text answer sent so far. */
  get content(): string {
    return this.textSent;
  }

  /** Whether the answer is known to be a call. */
  get isCall(): boolean {
    return this.kind === 'call';
  }

  /** Whether a stop sequence ended a text answer. */
  get stopped(): boolean {
    return this.textStopped;
  }

  /** The new text of the answer so far (`raw`: the committed prefix, which only grows). */
  advance(raw: string): ToolAnswerDelta {
    this.classify(raw, false);
    if (this.kind === 'text') {
      if (this.textStopped) return { content: '' };
      const cut = cutAtStop(raw, this.stop);
      this.textStopped = cut.stopped;
      const safe = cut.stopped ? cut.text : raw.slice(0, raw.length - holdBack(raw, this.stop));
      return { content: this.takeText(safe) };
    }
    if (this.kind === 'undecided') return { content: '' };
    const { name, args } = this.read(raw, false);
    if (name === undefined) return { content: '' };
    return { content: '', call: this.takeCall(name, args) };
  }

  /** The final answer (`raw`: all its text): a call, or under `auto` a text cut at the first stop sequence. */
  finish(raw: string): { call?: ToolCall; text: string; stopped: boolean } {
    this.classify(raw, true);
    if (this.kind === 'text') return { ...cutAtStop(raw, this.stop) };
    const { name, args } = this.read(raw, true);
    return {
      call: { name: name ?? (this.plan.candidates[0] as ToolFunction).name, arguments: args },
      text: '',
      stopped: false,
    };
  }

  private classify(raw: string, final: boolean): void {
    if (this.kind !== 'undecided') return;
    const { prefix } = this.plan.format;
    if (prefix === '') {
      const lead = raw.trimStart();
      if (lead !== '') this.kind = lead.startsWith('{') ? 'call' : 'text';
      else if (final) this.kind = 'text';
    } else if (raw.startsWith(prefix)) this.kind = 'call';
    else if (!prefix.startsWith(raw) || final) this.kind = 'text';
  }

  /** The call's name (once known) and its arguments' text so far (all of it when `final`). */
  private read(raw: string, final: boolean): { name: string | undefined; args: string } {
    const { format, prefix, suffix } = this.plan.format;
    let body = raw.startsWith(prefix) ? raw.slice(prefix.length) : raw;
    if (final && suffix !== '' && body.endsWith(suffix)) body = body.slice(0, -suffix.length);
    if (format === 'arguments') {
      const lead = body.trimStart();
      const end = jsonValueEnd(lead);
      const args = end === undefined ? lead : lead.slice(0, end);
      const only = this.plan.candidates.length === 1 ? (this.plan.candidates[0] as ToolFunction).name : undefined;
      if (only !== undefined || !final) return { name: only, args };
      const chosen = this.plan.candidates.find((f) =>
        matchesConstraint({ type: 'json_schema', schema: f.parameters ?? NO_ARGUMENTS }, args),
      );
      return { name: chosen?.name, args };
    }
    const head = /^\s*\{\s*"name"\s*:\s*("(?:[^"\\]|\\.)*")\s*,\s*"arguments"\s*:\s*/.exec(body);
    if (!head) return { name: undefined, args: '' };
    const rest = body.slice(head[0].length);
    const end = jsonValueEnd(rest);
    return { name: JSON.parse(head[1] as string) as string, args: end === undefined ? rest : rest.slice(0, end) };
  }

  private takeText(text: string): string {
    if (!text.startsWith(this.textSent) || text.length <= this.textSent.length) return '';
    const delta = text.slice(this.textSent.length);
    this.textSent = text;
    return delta;
  }

  private takeCall(name: string, args: string): { name?: string; arguments: string } {
    const delta = args.startsWith(this.argumentsSent) ? args.slice(this.argumentsSent.length) : '';
    this.argumentsSent += delta;
    if (this.nameSent) return { arguments: delta };
    this.nameSent = true;
    return { name, arguments: delta };
  }
}

/** Where the JSON object or array at the start of `text` ends (its length), or undefined if it does not yet. */
function jsonValueEnd(text: string): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}
