/**
 * The default model's tokenizer (tools/train/unmask_train/vocab.py: byte-level BPE trained on the
 * worlds' text) must encode and decode exactly as the runtime's @huggingface/tokenizers reads the
 * tokenizer.json it writes: training computes its ids in Python, the runtime in TypeScript.
 * Trains one on 3,000 training examples and compares both on the worlds' text in trained and
 * held-out wordings and on odd input. Needs only Python 3 (no torch).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TextTokenizer } from '@unmask/core';
import { Rng, sampleExample, TASK_TYPES, toTextExample } from '../worlds/src/index.js';

const TRAIN_DIR = fileURLToPath(new URL('./', import.meta.url));
const PYTHON = process.env.PYTHON || '/usr/bin/python3';
const ODD = [
  'Ünïcödé CAFÉ',
  'emoji 😀 please',
  'tabs\tand\nnew lines',
  '   spaces   around   ',
  'digits 123 and 4.5',
  'under_score',
  '’curly’ “quotes”',
  'ﬁne ligature',
  'straße',
  '...',
  '?',
  'x',
  'WHAT IS THE COLOUR OF THE HEXAGON??',
  "what's where's there's",
  'is there an octagon in this photo, please?',
];

function python(args: string[]): string {
  const r = spawnSync(PYTHON, ['-m', 'unmask_train.vocab', ...args], {
    cwd: TRAIN_DIR,
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    maxBuffer: 64 << 20,
    timeout: 300_000,
  });
  if (r.error || r.status !== 0) throw new Error(`unmask_train.vocab: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

describe('the default model tokenizer, in Python and in the runtime', () => {
  let dir: string;
  let strings: string[];
  let fromPython: { text: string; ids: number[]; decoded: string }[];
  let tokenizer: TextTokenizer;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'unmask-tokenizer-'));
    const rng = new Rng(11);
    const train = Array.from({ length: 3000 }, () =>
      JSON.stringify(toTextExample(sampleExample(rng, rng.pick(TASK_TYPES), { wording: 'train' }))),
    );
    writeFileSync(join(dir, 'train.jsonl'), `${train.join('\n')}\n`);
    strings = [...ODD];
    for (const wording of ['train', 'heldout'] as const)
      for (let i = 0; i < 400; i++) {
        const e = sampleExample(rng, rng.pick(TASK_TYPES), { wording });
        strings.push(e.prompt, e.answer, ...(e.spoken ? [e.spoken] : []));
      }
    writeFileSync(join(dir, 'strings.jsonl'), `${strings.map((s) => JSON.stringify(s)).join('\n')}\n`);
    const out = python(['--train', join(dir, 'train.jsonl'), '--out', dir, '--encode', join(dir, 'strings.jsonl')]);
    fromPython = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; ids: number[]; decoded: string });
    tokenizer = TextTokenizer.fromFile(join(dir, 'tokenizer.json'));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same ids and the same decoded text for every string', () => {
    assert.equal(fromPython.length, strings.length);
    for (const p of fromPython) {
      const ids = tokenizer.encode(p.text);
      assert.deepEqual(ids, p.ids, JSON.stringify(p.text));
      assert.equal(tokenizer.decode(ids), p.decoded, JSON.stringify(p.text));
    }
  });

  it('decodes answers exactly as written (the intent JSON, confirmations, descriptions)', () => {
    for (const p of fromPython)
      if (!ODD.includes(p.text) && p.text === p.text.toLowerCase() && !/[?!.]/.test(p.text))
        assert.equal(p.decoded, p.text.replace(/\s+/g, ' ').trim());
  });

  it('reads every word of the training text as one token and unseen words in pieces', () => {
    const vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as string[];
    assert.equal(tokenizer.size, vocab.length);
    for (const word of ['circle', 'colour', 'kitchen', 'transcribe', 'picture']) {
      assert.equal(tokenizer.encode(word).length, 1, word);
    }
    assert.ok(tokenizer.encode('octagon').length > 1);
    assert.ok(tokenizer.encode('😀').length >= 1);
    assert.equal(tokenizer.tokenToId('<|red_circle|>'), vocab.indexOf('<|red_circle|>'));
  });

  it('learns the merges that recounting every pair after each merge learns (its counts kept word by word)', () => {
    // The reference: each merge, count every adjacent pair of every word again (weighted by the
    // word's count, 1 for a required word the text lacks), take the most frequent (ties by the pair),
    // merge it everywhere; then the same inside the required words until each is one token.
    const reference = [
      'import json, sys',
      'from collections import Counter',
      'from unmask_train.bytelevel_bpe import normalize, pretokenize, train_bpe',
      'from unmask_train.vocab import ADDED, STRUCTURE_WORDS',
      'texts = [e[f] for e in map(json.loads, open(sys.argv[1])) for f in ("prompt", "answer", "spoken") if e.get(f)]',
      'budget = 1200 - len(ADDED) - 256',
      'counts = Counter(p for t in texts for p in pretokenize(normalize(t)))',
      'targets = [pretokenize(w)[0] for w in STRUCTURE_WORDS]',
      'words = {w: list(w) for w in counts}',
      'for t in targets: words.setdefault(t, list(t))',
      'def pairs(only):',
      '    pc = Counter()',
      '    for w in only:',
      '        for p in zip(words[w], words[w][1:]): pc[p] += counts.get(w, 1)',
      '    return pc',
      'def merge(a, b):',
      '    for w, parts in words.items():',
      '        out, i = [], 0',
      '        while i < len(parts):',
      '            if i < len(parts) - 1 and parts[i] == a and parts[i + 1] == b: out.append(a + b); i += 2',
      '            else: out.append(parts[i]); i += 1',
      '        words[w] = out',
      'merges = []',
      'while len(merges) < budget:',
      '    pc = pairs(list(words))',
      '    if not pc: break',
      '    merges.append(min(pc.items(), key=lambda kv: (-kv[1], kv[0]))[0]); merge(*merges[-1])',
      'while any(len(words[t]) > 1 for t in targets):',
      '    pc = pairs({t for t in targets if len(words[t]) > 1})',
      '    merges.append(min(pc.items(), key=lambda kv: (-kv[1], kv[0]))[0]); merge(*merges[-1])',
      'learnt = train_bpe(texts, budget, STRUCTURE_WORDS)',
      'print(json.dumps({"merges": len(learnt), "same": learnt == merges}))',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', reference, join(dir, 'train.jsonl')], {
      cwd: TRAIN_DIR,
      encoding: 'utf8',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      timeout: 300_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { merges: number; same: boolean };
    assert.ok(out.merges > 500, `${out.merges} merges`);
    assert.equal(out.same, true);
  });

  it('with BPE-dropout (training prompts), reads a text in other pieces that decode to the same text', () => {
    const out = python(['--load', dir, '--encode', join(dir, 'strings.jsonl'), '--bpe-dropout', '0.2', '--seed', '3']);
    const dropped = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; ids: number[]; decoded: string });
    assert.equal(dropped.length, fromPython.length);
    let split = 0;
    for (const [i, d] of dropped.entries()) {
      const whole = fromPython[i] as { ids: number[]; decoded: string };
      assert.equal(tokenizer.decode(d.ids), whole.decoded, JSON.stringify(d.text));
      if (d.ids.join() !== whole.ids.join()) split++;
    }
    assert.ok(split > dropped.length / 4, `only ${split} of ${dropped.length} strings read in other pieces`);
    const none = python(['--load', dir, '--encode', join(dir, 'strings.jsonl'), '--bpe-dropout', '0']);
    assert.deepEqual(
      none
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { ids: number[] }).ids),
      fromPython.map((p) => p.ids),
    );
  });
});
