/**
 * `unmask ask` flags → a validated invocation. Every flag is checked here (numbers strictly,
 * files for existence later, strategy parameters by the engine's zod schema), so a bad flag is
 * a one-line error, never a stack trace.
 */
import { parseArgs } from 'node:util';
import { CACHE_MODES, parseStrategy, UnmaskError, type CacheMode } from '@unmask/core';

export interface AskInvocation {
  readonly modelDir: string | undefined;
  readonly images: string[];
  readonly audio: string | undefined;
  readonly prompt: string | undefined;
  /**
   * The strategy fields the flags name (`name` only with --strategy), or undefined when no flag
   * names one; the model's decoding defaults fill the rest.
   */
  readonly strategy: Record<string, unknown> | undefined;
  readonly maxTokens: number | undefined;
  readonly seed: number | undefined;
  readonly temperature: number | undefined;
  readonly topP: number | undefined;
  readonly topK: number | undefined;
  readonly cache: CacheMode | undefined;
  readonly json: boolean;
  readonly jsonl: string | undefined;
  readonly help: boolean;
}

/** The flags that set how lines are decoded (shared with `unmask batch`). */
export const ASK_DECODING_OPTIONS = {
  strategy: { type: 'string' },
  threshold: { type: 'string' },
  steps: { type: 'string' },
  'block-length': { type: 'string' },
  factor: { type: 'string' },
  remasking: { type: 'string' },
  confidence: { type: 'string' },
  'eos-gamma': { type: 'string' },
  'early-commit': { type: 'boolean' },
  'cfg-scale': { type: 'string' },
  alg: { type: 'string' },
  'alg-temp': { type: 'string' },
  eps: { type: 'string' },
  'eos-fill': { type: 'string' },
  'top-p': { type: 'string' },
  'top-k': { type: 'string' },
  cache: { type: 'string' },
  'max-tokens': { type: 'string' },
  seed: { type: 'string' },
  temperature: { type: 'string' },
} as const;

const OPTIONS = {
  model: { type: 'string' },
  image: { type: 'string', multiple: true },
  audio: { type: 'string' },
  ...ASK_DECODING_OPTIONS,
  json: { type: 'boolean' },
  jsonl: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function flagError(message: string, flag: string): UnmaskError {
  return new UnmaskError('invalid_parameter', message, `--${flag}`);
}

function number(value: string | undefined, flag: string, { integer = false } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw flagError(`--${flag} expects ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(value)}`, flag);
  }
  return n;
}

export function parseAskArgs(argv: string[]): AskInvocation {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UnmaskError('invalid_parameter', (error as Error).message.replace(/\. To specify.*$/s, ''), 'argv');
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new UnmaskError(
      'invalid_parameter',
      `expected one PROMPT argument (quote it), got ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(' ')}`,
      'PROMPT',
    );
  }
  const strategyInput: Record<string, unknown> = values.strategy === undefined ? {} : { name: values.strategy };
  const put = (key: string, value: unknown) => {
    if (value !== undefined) strategyInput[key] = value;
  };
  put('threshold', number(values.threshold, 'threshold'));
  put('steps', number(values.steps, 'steps', { integer: true }));
  put('block_length', number(values['block-length'], 'block-length', { integer: true }));
  put('factor', number(values.factor, 'factor'));
  put('remasking', values.remasking);
  put('confidence', values.confidence);
  put('eos_gamma', number(values['eos-gamma'], 'eos-gamma'));
  put('early_commit', values['early-commit']);
  put('cfg_scale', number(values['cfg-scale'], 'cfg-scale'));
  put('alg', values.alg);
  put('alg_temp', number(values['alg-temp'], 'alg-temp'));
  put('eps', number(values.eps, 'eps'));
  put('eos_fill', values['eos-fill'] === undefined ? undefined : values['eos-fill'] !== 'false');
  if (values['eos-fill'] !== undefined && !['true', 'false'].includes(values['eos-fill']))
    throw flagError(`--eos-fill expects true or false, got ${JSON.stringify(values['eos-fill'])}`, 'eos-fill');
  // With --strategy every flag is checked now; without, the model's default strategy is known only once it loads.
  if (values.strategy !== undefined) parseStrategy(strategyInput, 'strategy');
  const strategy = Object.keys(strategyInput).length > 0 ? strategyInput : undefined;
  const cache = values.cache;
  if (cache !== undefined && !(CACHE_MODES as readonly string[]).includes(cache)) {
    throw flagError(`--cache must be one of ${CACHE_MODES.join(', ')}, got ${JSON.stringify(cache)}`, 'cache');
  }
  const maxTokens = number(values['max-tokens'], 'max-tokens', { integer: true });
  if (maxTokens !== undefined && maxTokens < 1) throw flagError('--max-tokens must be at least 1', 'max-tokens');
  const seed = number(values.seed, 'seed', { integer: true });
  if (seed !== undefined && (seed < 0 || seed >= 2 ** 32)) throw flagError('--seed must be in [0, 2^32)', 'seed');
  const temperature = number(values.temperature, 'temperature');
  if (temperature !== undefined && temperature < 0) throw flagError('--temperature must be ≥ 0', 'temperature');
  const topP = number(values['top-p'], 'top-p');
  if (topP !== undefined && (topP <= 0 || topP > 1)) throw flagError('--top-p must be in (0, 1]', 'top-p');
  const topK = number(values['top-k'], 'top-k', { integer: true });
  if (topK !== undefined && topK < 0) throw flagError('--top-k must be at least 0 (0: off)', 'top-k');
  const invocation: AskInvocation = {
    modelDir: values.model,
    images: values.image ?? [],
    audio: values.audio,
    prompt: positionals[0],
    strategy,
    maxTokens,
    seed,
    temperature,
    topP,
    topK,
    cache: cache as CacheMode | undefined,
    json: values.json ?? false,
    jsonl: values.jsonl,
    help: values.help ?? false,
  };
  if (!invocation.help && invocation.jsonl === undefined && invocation.prompt === undefined) {
    throw new UnmaskError('invalid_parameter', 'missing PROMPT (or --jsonl FILE); see `unmask ask --help`', 'PROMPT');
  }
  if (
    invocation.jsonl !== undefined &&
    (invocation.prompt !== undefined || invocation.images.length > 0 || invocation.audio !== undefined)
  ) {
    throw new UnmaskError(
      'invalid_parameter',
      '--jsonl reads prompts and media from the file; do not pass PROMPT, --image or --audio with it',
      '--jsonl',
    );
  }
  return invocation;
}
