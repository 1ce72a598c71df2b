/** `unmask ask`: one prompt (streamed or --json) or a --jsonl batch, on one loaded model. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { UnmaskError } from '@unmask/core';
import { Unmask, type AskRequest } from '@unmask/pipeline';
import { parseAskArgs, type AskInvocation } from './ask-args.js';
import { ASK_HELP } from './help.js';
import { answerLine, readMediaFile, samplingOf, summary, type LineDefaults } from './jsonl-line.js';
import { LiveLine, renderCanvas } from './render-canvas.js';

export interface Io {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

function requestOf(inv: AskInvocation): AskRequest {
  return {
    prompt: inv.prompt as string,
    images: inv.images.map((p) => readMediaFile(p, '--image')),
    audio: inv.audio ? [readMediaFile(inv.audio, '--audio')] : [],
    ...(inv.strategy ? { strategy: inv.strategy } : {}),
    ...(inv.maxTokens !== undefined ? { maxTokens: inv.maxTokens } : {}),
    sampling: samplingOf(inv),
    ...(inv.cache ? { cache: inv.cache } : {}),
  };
}

export async function askCommand(argv: string[], io: Io): Promise<number> {
  const inv = parseAskArgs(argv);
  if (inv.help) {
    io.stdout.write(ASK_HELP);
    return 0;
  }
  const unmask = await Unmask.load(inv.modelDir);
  try {
    if (inv.jsonl !== undefined) return await runJsonl(unmask, inv, io);
    const request = requestOf(inv);
    if (inv.json) {
      io.stdout.write(`${JSON.stringify(summary(await unmask.ask(request)))}\n`);
      return 0;
    }
    const live = io.stdout.isTTY ? new LiveLine(io.stdout) : undefined;
    const stream = unmask.askStream(request, { cells: live !== undefined });
    for await (const step of stream) {
      if (live && step.cells)
        live.draw(renderCanvas({ cells: step.cells, fresh: new Set(step.committed.map((c) => c.position)) }, true));
    }
    const result = await stream.result;
    live?.draw(result.text);
    live?.end();
    if (!live) io.stdout.write(`${result.text}\n`);
    io.stderr.write(
      `${result.forwardPasses} forward passes, ${result.completionTokens} tokens, ${Math.round(result.ms)} ms\n`,
    );
    return 0;
  } finally {
    await unmask.close();
  }
}

async function runJsonl(unmask: Unmask, inv: AskInvocation, io: Io): Promise<number> {
  const input = inv.jsonl === '-' ? process.stdin : createReadStream(inv.jsonl as string);
  const opened = new Promise<void>((resolve, reject) => {
    if (input === process.stdin) resolve();
    input.once('open', () => resolve());
    input.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new UnmaskError(
          'invalid_parameter',
          `--jsonl ${inv.jsonl}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
          '--jsonl',
        ),
      ),
    );
  });
  await opened;
  const defaults: LineDefaults = inv;
  let failures = 0;
  let lineNumber = 0;
  for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
    lineNumber += 1;
    if (raw.trim() === '') continue;
    const { out, failed } = await answerLine(unmask, raw, lineNumber, defaults);
    if (failed) failures += 1;
    io.stdout.write(`${out}\n`);
  }
  return failures > 0 ? 1 : 0;
}
