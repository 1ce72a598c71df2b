/** The parts of `unmask batch` that need no Redis: OUT and its checkpoint, the progress line, the flags, the job's media. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUnmaskError } from '@unmask/core';
import { mediaOfLine } from '../jsonl-line.js';
import { parseBatchArgs, resumeCommandOf } from './batch-args.js';
import { failureOf, jobOfLine, lineOfJob, resultOf } from './batch-jobs.js';
import { BatchOutput, checkpointPathOf } from './batch-output.js';
import { InOrderLines } from './in-order-lines.js';
import { BatchProgress, formatDuration, RateMeter, renderProgress } from './progress.js';
import { jobIdOf, mediaKey, mediaReaderOf } from './queue-shared.js';
import { parseWorkerArgs } from './worker-command.js';

const fresh = () => join(mkdtempSync(join(tmpdir(), 'batch-out-')), 'out.jsonl');

describe('BatchOutput', () => {
  it('appends in input order and refuses a line out of order', () => {
    const out = BatchOutput.open(fresh(), 'b1');
    out.append(1, '{"text":"a"}', false);
    out.append(3, '{"error":"x"}', true);
    assert.throws(() => out.append(2, '{}', false), /out of order/);
    assert.equal(out.written, 2);
    assert.equal(out.failed, 1);
  });

  it('resumes the same batch from its checkpoint: OUT is cut back to the checkpoint, later lines are not kept twice', () => {
    const path = fresh();
    const first = BatchOutput.open(path, 'b1');
    first.append(1, 'one', false);
    first.append(2, 'two', true);
    first.checkpoint();
    first.append(4, 'four (written, but not checkpointed when the process died)', false);
    const again = BatchOutput.open(path, 'b1');
    assert.equal(again.resumed, true);
    assert.deepEqual(again.resumedFrom, { batch: 'b1', line: 2, bytes: 8, written: 2, failed: 1 });
    assert.equal(readFileSync(path, 'utf8'), 'one\ntwo\n');
    again.append(4, 'four', false);
    again.finish();
    assert.equal(readFileSync(path, 'utf8'), 'one\ntwo\nfour\n');
    assert.ok(!existsSync(checkpointPathOf(path)), 'a finished batch leaves no checkpoint');
  });

  it('starts over, and says why, when the checkpoint belongs to another batch or is unreadable', () => {
    const path = fresh();
    const first = BatchOutput.open(path, 'b1');
    first.append(1, 'one', false);
    first.abandon();
    const other = BatchOutput.open(path, 'b2');
    assert.equal(other.resumed, false);
    assert.match(other.restartReason ?? '', /belongs to batch b1, not b2/);
    assert.equal(other.resumedFrom.written, 0);
    assert.equal(readFileSync(path, 'utf8'), '');
    writeFileSync(checkpointPathOf(path), '{"batch":');
    assert.match(BatchOutput.open(path, 'b2').restartReason ?? '', /unreadable/);
  });
});

describe('the progress line', () => {
  it('shows a bar, lines done of total, the rate and the ETA', () => {
    assert.equal(
      renderProgress({ done: 50, total: 200, failed: 0, rate: 5, width: 8 }),
      '██░░░░░░ 50/200 25.0%  5.00 lines/s  ETA 30s',
    );
    assert.equal(
      renderProgress({ done: 200, total: 200, failed: 3, rate: 12.345, width: 4 }),
      '████ 200/200 100%  12.3 lines/s  done  3 failed',
    );
    assert.match(renderProgress({ done: 0, total: 10, failed: 0, rate: null }), /… lines\/s {2}ETA \?$/);
  });

  it('measures the rate over a recent window', () => {
    const meter = new RateMeter(10_000);
    meter.record(0, 0);
    assert.equal(meter.rate(), null);
    meter.record(2000, 10);
    assert.equal(meter.rate(), 5);
    meter.record(30_000, 10);
    meter.record(32_000, 30);
    assert.equal(meter.rate(), 10, 'old samples drop out');
  });

  it('on a pipe, prints a line every 10 s and looks into a stall once it has been checked', () => {
    const out: string[] = [];
    let done = 5;
    let stalls = 0;
    let redisUp = false;
    const realNow = Date.now;
    let now = 1_000_000;
    Date.now = () => now;
    try {
      const progress = new BatchProgress({
        mode: 'lines',
        write: (t) => out.push(t),
        total: 10,
        done: () => done,
        failed: () => 0,
        onStall: () => {
          stalls += 1;
          return redisUp;
        },
      });
      assert.equal(progress.intervalMs, 1000);
      progress.tick();
      assert.deepEqual(out, [], 'nothing before 10 s');
      now += 10_001;
      progress.tick();
      assert.equal(out.length, 1);
      assert.match(out[0] ?? '', /5\/10 50\.0%/);
      assert.equal(stalls, 1, 'no change for 10 s: asked why');
      now += 1000;
      progress.tick();
      assert.equal(stalls, 2, 'Redis was down: asked again');
      redisUp = true;
      progress.tick();
      progress.tick();
      assert.equal(stalls, 3, 'looked into once');
      done = 10;
      progress.finish();
      assert.match(out.at(-1) ?? '', /10\/10 100% .* done\n$/);
    } finally {
      Date.now = realNow;
    }
  });

  it('formats durations for people', () => {
    assert.deepEqual([formatDuration(59.4), formatDuration(61), formatDuration(3725)], ['59s', '1m01s', '1h02m']);
  });
});

describe('flags', () => {
  const fails = (f: () => unknown, pattern: RegExp) =>
    assert.throws(f, (e: unknown) => isUnmaskError(e) && e.code === 'invalid_parameter' && pattern.test(e.message));

  it('batch needs --redis, --jsonl and --out, a redis:// URL, and takes ask’s decoding flags', () => {
    fails(() => parseBatchArgs(['--jsonl', 'a', '--out', 'b']), /missing --redis/);
    fails(() => parseBatchArgs(['--redis', 'http://x', '--jsonl', 'a', '--out', 'b']), /redis:\/\/ or rediss:\/\//);
    fails(() => parseBatchArgs(['--redis', 'redis://x', '--jsonl', '-', '--out', 'b']), /must be a file/);
    fails(
      () => parseBatchArgs(['--redis', 'redis://x', '--jsonl', 'a', '--out', 'b', '--model', 'm']),
      /pass --model to `unmask worker`/,
    );
    fails(
      () => parseBatchArgs(['--redis', 'redis://x', '--jsonl', 'a', '--out', 'b', '--strategy', 'greedy']),
      /unknown strategy "greedy"/,
    );
    const inv = parseBatchArgs([
      '--redis',
      'redis://x',
      '--jsonl',
      'a',
      '--out',
      'b',
      '--strategy',
      'low_confidence',
      '--steps',
      '4',
      '--max-tokens',
      '16',
    ]);
    assert.ok(inv !== 'help');
    assert.equal(inv.defaults.strategy?.name, 'low_confidence');
    assert.equal(inv.defaults.strategy?.steps, 4);
    assert.equal(inv.defaults.maxTokens, 16);
    assert.equal(inv.window, 512);
  });

  it('worker needs --redis and checks its numbers', () => {
    fails(() => parseWorkerArgs([]), /missing --redis/);
    fails(() => parseWorkerArgs(['--redis', 'redis://x', '--concurrency', '0']), /--concurrency expects an integer/);
    const inv = parseWorkerArgs(['--redis', 'redis://x']);
    assert.ok(inv !== 'help');
    assert.deepEqual([inv.concurrency, inv.lockDurationMs, inv.queue], [4, 30_000, 'unmask']);
  });
});

describe('a job’s media', () => {
  it('lists the files a line names, in the order ask reads them, and none for an invalid line', () => {
    assert.deepEqual(mediaOfLine('{"prompt":"p","image":["a.png","b.png"],"audio":"c.wav"}'), [
      { path: 'a.png', field: 'image' },
      { path: 'b.png', field: 'image' },
      { path: 'c.wav', field: 'audio' },
    ]);
    assert.deepEqual(mediaOfLine('not json'), []);
    assert.deepEqual(mediaOfLine('{"image":"a.png"}'), [], 'no prompt: ask fails before reading media');
  });

  it('gives the worker the bytes, or the very error ask would have printed', () => {
    const read = mediaReaderOf({
      [mediaKey('image', 'a.png')]: { b64: Buffer.from('png!').toString('base64') },
      [mediaKey('audio', 'gone.wav')]: { error: 'audio gone.wav: no such file' },
    });
    assert.equal(Buffer.from(read('a.png', 'image')).toString(), 'png!');
    assert.throws(() => read('gone.wav', 'audio'), /^UnmaskError: audio gone\.wav: no such file$/);
    assert.throws(() => read('a.png', 'audio'), /not sent with the job/);
  });

  it('names a job by its batch and line', () => {
    assert.equal(jobIdOf('b0123', 17), 'b0123-17');
  });

  it('reads a line’s files into its job, and a file it cannot read as that error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unmask-job-'));
    writeFileSync(join(dir, 'a.wav'), 'RIFF');
    const gone = join(dir, 'gone.png');
    const raw = JSON.stringify({ prompt: 'p', audio: join(dir, 'a.wav'), image: gone });
    const job = jobOfLine('b1', { maxTokens: 8 }, 3, raw);
    assert.equal(job.opts.jobId, 'b1-3');
    assert.deepEqual([job.data.line, job.data.raw, job.data.defaults], [3, raw, { maxTokens: 8 }]);
    assert.deepEqual(job.data.media[mediaKey('audio', join(dir, 'a.wav'))], {
      b64: Buffer.from('RIFF').toString('base64'),
    });
    assert.match((job.data.media[mediaKey('image', gone)] as { error: string }).error, /no such file/);
  });

  it('settles only its own batch’s jobs, and turns an unreadable or failed job into a failed line', () => {
    assert.equal(lineOfJob('b1', 'b1-42'), 42);
    assert.equal(lineOfJob('b1', 'b12-42'), null, 'another batch whose id starts the same');
    assert.equal(lineOfJob('b1', 'b1-4x'), null);
    assert.equal(lineOfJob('b1', undefined), null);
    assert.deepEqual(resultOf('{"out":"{}","failed":false}'), { out: '{}', failed: false });
    assert.deepEqual(resultOf('garbage'), {
      out: JSON.stringify({ error: 'the worker returned an unreadable result' }),
      failed: true,
    });
    assert.deepEqual(failureOf('model crashed'), { out: '{"error":"worker: model crashed"}', failed: true });
  });
});

describe('lines in flight', () => {
  it('writes each answer once every line before it is answered, in input order', async () => {
    const written: string[] = [];
    const lines = new InOrderLines<string>((line, result) => written.push(`${line}:${result}`));
    for (const n of [1, 2, 4]) lines.add(n, `line ${n}`).enqueued = true;
    const woken = lines.changed;
    lines.settle(2, 'b');
    await woken;
    assert.deepEqual(written, [], 'line 1 is still open');
    assert.deepEqual(
      lines.waiting().map((l) => l.line),
      [1, 4],
    );
    lines.settle(2, 'again');
    lines.settle(9, 'unknown line');
    lines.settle(1, 'a');
    assert.deepEqual(written, ['1:a', '2:b']);
    assert.deepEqual(lines.takeWritten(), [1, 2]);
    assert.deepEqual(lines.takeWritten(), []);
    lines.settle(4, 'd');
    assert.deepEqual([written.at(-1), lines.size, lines.settled], ['4:d', 0, 3]);
  });
});

describe('the resume command', () => {
  it('quotes what a shell would split', () => {
    assert.equal(
      resumeCommandOf(['--redis', 'redis://h:6379', '--jsonl', 'my file.jsonl', '--out', "it's.jsonl"]),
      `unmask batch --redis redis://h:6379 --jsonl 'my file.jsonl' --out 'it'\\''s.jsonl'`,
    );
  });
});
