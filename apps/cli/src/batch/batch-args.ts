/** `unmask batch`'s flags: what it reads, where it writes, the queue, and `ask`'s decoding flags. */
import { parseArgs } from 'node:util';
import { UnmaskError } from '@unmask/core';
import { ASK_DECODING_OPTIONS, parseAskArgs } from '../ask-args.js';
import type { LineDefaults } from '../jsonl-line.js';
import { integerFlag } from './integer-flag.js';
import { DEFAULT_QUEUE, parseRedisUrl } from './queue-shared.js';

const OPTIONS = {
  redis: { type: 'string' },
  jsonl: { type: 'string' },
  out: { type: 'string' },
  queue: { type: 'string' },
  'batch-id': { type: 'string' },
  window: { type: 'string' },
  'redis-timeout': { type: 'string' },
  progress: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...ASK_DECODING_OPTIONS,
} as const;

export interface BatchInvocation {
  readonly redis: string;
  readonly input: string;
  readonly out: string;
  readonly queue: string;
  readonly batchId: string | undefined;
  /** Lines queued or answered but not yet written, at most (bounds Redis memory). */
  readonly window: number;
  readonly redisTimeoutMs: number;
  readonly progress: 'auto' | 'bar' | 'lines' | 'off';
  readonly defaults: LineDefaults;
}

export function parseBatchArgs(argv: string[]): BatchInvocation | 'help' {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify.*$/s, '');
    const hint = /'--(model|image|audio|json)'/.test(message)
      ? ' (the model is the workers\u2019: pass --model to `unmask worker`; media come from IN)'
      : '';
    throw new UnmaskError('invalid_parameter', `${message}${hint}`, 'argv');
  }
  if (values.help) return 'help';
  for (const flag of ['redis', 'jsonl', 'out'] as const)
    if (values[flag] === undefined)
      throw new UnmaskError('invalid_parameter', `missing --${flag}; see \`unmask batch --help\``, `--${flag}`);
  parseRedisUrl(values.redis as string);
  if (values.jsonl === '-')
    throw new UnmaskError(
      'invalid_parameter',
      '--jsonl must be a file (a batch resumes by reading it again)',
      '--jsonl',
    );
  const progress = values.progress ?? 'auto';
  if (!['auto', 'bar', 'lines', 'off'].includes(progress))
    throw new UnmaskError(
      'invalid_parameter',
      `--progress must be auto, bar, lines or off, got ${progress}`,
      '--progress',
    );
  if (values['batch-id'] !== undefined && !/^[A-Za-z0-9_]{1,64}$/.test(values['batch-id']))
    throw new UnmaskError('invalid_parameter', '--batch-id takes 1 to 64 letters, digits or _', '--batch-id');
  // The decoding flags mean what they mean to `ask`, checked by the same parser.
  const askArgv: string[] = [];
  for (const name of Object.keys(ASK_DECODING_OPTIONS) as (keyof typeof ASK_DECODING_OPTIONS)[]) {
    const value = values[name];
    if (value === undefined || value === false) continue;
    askArgv.push(`--${name}`, ...(value === true ? [] : [String(value)]));
  }
  const ask = parseAskArgs([...askArgv, '--jsonl', values.jsonl as string]);
  return {
    redis: values.redis as string,
    input: values.jsonl as string,
    out: values.out as string,
    queue: values.queue ?? DEFAULT_QUEUE,
    batchId: values['batch-id'],
    window: integerFlag(values.window, 'window', 1, 1_000_000, 512),
    redisTimeoutMs: integerFlag(values['redis-timeout'], 'redis-timeout', 1, 86_400, 60) * 1000,
    progress: progress as BatchInvocation['progress'],
    defaults: {
      strategy: ask.strategy,
      maxTokens: ask.maxTokens,
      seed: ask.seed,
      temperature: ask.temperature,
      topP: ask.topP,
      topK: ask.topK,
      cache: ask.cache,
    },
  };
}

const shellQuote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);

/** The command line that runs this batch again (it resumes where OUT stops), quoted for a shell. */
export function resumeCommandOf(argv: readonly string[]): string {
  return `unmask batch ${argv.map(shellQuote).join(' ')}`;
}
