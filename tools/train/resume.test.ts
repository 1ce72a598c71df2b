/**
 * Resumable training (unmask_train/resume.py): a stage killed mid-run (SIGKILL, as when a build's
 * session ends) and started again with the same arguments goes on from its last resume point and
 * ends with exactly the weights, tail averages and evaluation history of a run never interrupted;
 * started with other arguments or other input content, it refuses with a message naming what
 * differs and leaves the resume point as it was. Trains a tiny text LM three times; about 30-60 s.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  generateText,
  PYTHON,
  PYTHON_ENV,
  python,
  pythonCheck,
  requireTorchOnCi,
  TRAIN_DIR,
  trainingSkip,
} from './python-runner.js';

const STEPS = 200;
const EVERY = 20;
const spec = { skip: trainingSkip('the resume spec') };

const trainArgs = (dir: string, train: string) => [
  ...['--train', train, '--eval', join(dir, 'eval.jsonl'), '--steps', String(STEPS), '--log-every', '10'],
  ...['--eval-every', '100', '--eval-n', '1', '--hidden', '32', '--layers', '1', '--heads', '2', '--ffn', '64'],
  ...['--batch', '16', '--warmup', '10', '--average-from', '0.5', '--checkpoint-every', String(EVERY)],
];

/** Starts train_lm into `out` and SIGKILLs it as soon as its first resume point is on disk. */
async function killAtFirstResumePoint(args: string[], out: string): Promise<void> {
  const child = spawn(PYTHON, ['-m', 'unmask_train.train_lm', ...args, '--out', out], {
    cwd: TRAIN_DIR,
    env: PYTHON_ENV,
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const point = join(out, 'resume.pt');
  for (let waited = 0; !existsSync(point); waited += 20) {
    if (child.exitCode !== null) throw new Error(`train_lm exited (${child.exitCode}) before its first resume point`);
    if (waited > 240_000) throw new Error('no resume point after 4 minutes');
    await sleep(20);
  }
  child.kill('SIGKILL');
  await exited;
}

/** Whether two runs' checkpoints hold equal tensors, and their histories without wall times. */
const COMPARE = `
import json, sys, torch
a, b = sys.argv[1], sys.argv[2]
out = {}
for name in ["lm.pt", "lm-avg50.pt"]:
    x, y = torch.load(f"{a}/{name}"), torch.load(f"{b}/{name}")
    out[name] = sorted(k for k in x["state"] if not torch.equal(x["state"][k], y["state"][k]))
strip = lambda h: [{k: v for k, v in e.items() if k != "seconds"} for e in h]
out["history"] = strip(json.load(open(f"{a}/history.json"))) == strip(json.load(open(f"{b}/history.json")))
print(json.dumps(out))
`;

describe('a training run killed and started again', () => {
  let dir: string;
  let resumedLog: string;
  let refusals: { lr: string; content: string };

  before(async () => {
    if (spec.skip) return;
    requireTorchOnCi('the resume spec');
    dir = mkdtempSync(join(tmpdir(), 'unmask-resume-'));
    const train = join(dir, 'train.jsonl');
    generateText(1, 2000, train);
    generateText(2, 200, join(dir, 'eval.jsonl'));
    python('unmask_train.train_lm', [...trainArgs(dir, train), '--out', join(dir, 'whole')], 'uninterrupted train_lm');

    const out = join(dir, 'killed');
    await killAtFirstResumePoint(trainArgs(dir, train), out);
    const point = join(out, 'resume.pt');
    const before = readFileSync(point);
    const refused = (args: string[]) => {
      const r = spawnSync(PYTHON, ['-m', 'unmask_train.train_lm', ...args, '--out', out], {
        cwd: TRAIN_DIR,
        env: PYTHON_ENV,
        encoding: 'utf8',
      });
      assert.notEqual(r.status, 0, 'a mismatched restart must fail');
      return r.stderr.trim().split('\n').at(-1)!;
    };
    // Another learning rate; then the same path with other content (one line fewer).
    const lr = refused([...trainArgs(dir, train), '--lr', '1e-3']);
    const edited = join(dir, 'edited.jsonl');
    copyFileSync(train, edited);
    writeFileSync(train, readFileSync(train, 'utf8').split('\n').slice(1).join('\n'));
    const content = refused(trainArgs(dir, train));
    copyFileSync(edited, train);
    refusals = { lr, content };
    assert.deepEqual(readFileSync(point), before, 'a refused restart leaves the resume point as it was');
    resumedLog = python('unmask_train.train_lm', [...trainArgs(dir, train), '--out', out], 'resumed train_lm');
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('goes on from its last resume point, not from the start', spec, () => {
    const m = /^resumed from step (\d+) /m.exec(resumedLog);
    assert.ok(m, 'the restarted run says where it resumed');
    const step = Number(m[1]);
    assert.ok(step >= EVERY && step % EVERY === 0 && step < STEPS, `resumed at step ${step}`);
    const firstLogged = Number(/^step (\d+) /m.exec(resumedLog)![1]);
    assert.equal(firstLogged, step + 10, 'the first step it logs is the next one after the resume point');
  });

  it('ends with the uninterrupted run’s weights, tail average and evaluation history, exactly', spec, () => {
    const same = pythonCheck(COMPARE, [join(dir, 'whole'), join(dir, 'killed')], 'compare') as Record<string, unknown>;
    assert.deepEqual(same, { 'lm.pt': [], 'lm-avg50.pt': [], history: true });
  });

  it('removes the resume point once the run is complete', spec, () => {
    for (const run of ['whole', 'killed']) assert.equal(existsSync(join(dir, run, 'resume.pt')), false, run);
    assert.ok(statSync(join(dir, 'killed', 'lm.pt')).size > 0);
  });

  it('refuses a restart with another argument or other input content, naming what differs', spec, () => {
    assert.match(refusals.lr, /resume\.pt was written by a run with other arguments or inputs \(lr\)/);
    assert.match(refusals.content, /other arguments or inputs \(train \(content\)\)/);
  });
});
