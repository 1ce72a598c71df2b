/**
 * Training helpers checked on their own, without the smoke run's trained model: tail averaging,
 * squared distances, and the decoding record with the abstention rules built on it (abstention.py),
 * the last on a model trained for two steps (what it decodes does not matter, only that recording
 * it changes nothing), and the wording probe on a made-up pair of synonyms (wording_probe.py). Needs
 * python3-torch as training-smoke.test.ts does.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateText, python, pythonCheck, requireTorchOnCi, trainingSkip } from './python-runner.js';

const spec = { skip: trainingSkip('the training helper checks') };
const REFUSAL = 'i can only answer questions about shapes in images and smart home voice commands';

describe('training helpers', () => {
  it(
    'averages the weights from a given step on, holds them only inside applied(), and gives the training weights back after',
    spec,
    () => {
      // averaging.TailAverage: the mean of the weights after steps 2, 3 and 4 of a weight set to 1..5.
      const check = [
        'import json, torch',
        'from unmask_train.averaging import TailAverage',
        'model = torch.nn.Linear(2, 1, bias=False); avg = TailAverage(model, 2)',
        'for step in range(1, 6):',
        '    with torch.no_grad(): model.weight.fill_(step)',
        '    if step <= 4: avg.update(step)',
        'with avg.applied(): inside = model.weight[0, 0].item()',
        'print(json.dumps({"inside": inside, "after": model.weight[0, 0].item(), "count": avg.count}))',
      ].join('\n');
      const out = pythonCheck(check, [], 'tail average check') as { inside: number; after: number; count: number };
      assert.deepEqual(out, { inside: 3, after: 5, count: 3 });
    },
  );

  it(
    'scores media tokens against the table by squared distance without a [rows, table, width] difference',
    spec,
    () => {
      // losses.squared_distances: |x|^2 - 2 x.e + |e|^2, the broadcast difference's value within float rounding.
      const check = [
        'import json, torch',
        'from unmask_train.losses import squared_distances',
        'torch.manual_seed(0); x = torch.randn(4, 9, 32); table = torch.randn(300, 32)',
        'ref = (x.unsqueeze(-2) - table).pow(2).sum(-1); got = squared_distances(x, table)',
        'print(json.dumps({"shape": list(got.shape), "diff": (ref - got).abs().max().item(), "scale": ref.abs().max().item()}))',
      ].join('\n');
      const out = pythonCheck(check, [], 'squared distance check') as { shape: number[]; diff: number; scale: number };
      assert.deepEqual(out.shape, [4, 9, 300]);
      assert.ok(out.diff <= 1e-5 * out.scale, `differs by ${out.diff} (scale ${out.scale})`);
    },
  );
});

describe('the decoding record and the abstention rules (decode.DecodeRecord, abstention.py)', () => {
  let dir: string;

  before(() => {
    if (spec.skip) return;
    requireTorchOnCi('the training helper checks');
    dir = mkdtempSync(join(tmpdir(), 'unmask-train-units-'));
    generateText(3, 200, join(dir, 'train.jsonl'));
    const args = ['--train', join(dir, 'train.jsonl'), '--eval', join(dir, 'train.jsonl'), '--out', join(dir, 'lm')];
    const tiny = ['--steps', '2', '--eval-every', '2', '--eval-n', '1', '--batch', '8', '--warmup', '1'];
    const size = ['--hidden', '32', '--layers', '1', '--heads', '2', '--ffn', '64', '--seed', '0'];
    python('unmask_train.train_lm', [...args, ...tiny, ...size], 'unmask_train.train_lm (two steps)');
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('records each commit probability and the first pass, and decodes exactly as without the record', spec, () => {
    const check = [
      'import json, sys, torch',
      'from unmask_train.abstention import score_examples',
      'from unmask_train.data import encode_batch, first_per_type, load_jsonl',
      'from unmask_train.decode import DecodeRecord, generate',
      'from unmask_train.evaluation import load_text_lm',
      'model, layout, vocab = load_text_lm(sys.argv[1], sys.argv[2])',
      'examples = first_per_type(load_jsonl(sys.argv[3]), 2)',
      'ids, attn, start, *rest = encode_batch(examples, vocab, layout, 16, with_answer=False)',
      'cells = rest[0] if layout == "compound_pos" else None',
      'plain, _ = generate(model, ids, attn, start, vocab.mask, vocab.eos, 0.9, cells)',
      'record = DecodeRecord()',
      'recorded, _ = generate(model, ids, attn, start, vocab.mask, vocab.eos, 0.9, cells, record=record)',
      'rows = score_examples(model, vocab, layout, examples, canvas=16)',
      'print(json.dumps({"same": torch.equal(plain, recorded), "first": list(record.first_probs.shape), "n": len(examples),',
      '  "committed": bool((record.confidence[:, 0] > 0).all()), "rows": len(rows),',
      '  "confidences": all(0 < r["min_confidence"] <= 1 for r in rows),',
      '  "scores": all(r["refusal_score"] <= 0 for r in rows)}))',
    ].join('\n');
    const lm = join(dir, 'lm');
    const out = pythonCheck(
      check,
      [join(lm, 'lm.pt'), join(lm, 'vocab.json'), join(dir, 'train.jsonl')],
      'record check',
    );
    assert.equal(out && (out as { same: boolean }).same, true, 'the record changes no committed token');
    const o = out as {
      first: number[];
      n: number;
      committed: boolean;
      rows: number;
      confidences: boolean;
      scores: boolean;
    };
    assert.deepEqual(o.first.slice(0, 2), [o.n, 16], "the first pass's distribution, per example and canvas position");
    assert.equal(o.committed, true, "every canvas's first position has the probability it was committed at");
    assert.equal(o.rows, o.n, 'one row per example');
    assert.equal(o.confidences, true, 'lowest commit probabilities are probabilities');
    assert.equal(o.scores, true, "the refusal's score is a mean log-probability");
  });

  it(
    'counts what refusing by a rule does: refusals, in-scope prompts refused, exact match, right answers lost',
    spec,
    () => {
      const check = [
        'import json',
        'from unmask_train.abstention import rule_effect',
        `REF = "${REFUSAL}"`,
        'rows = [dict(type="refusal", got=REF, answer=REF, min_confidence=0.9),',
        '        dict(type="refusal", got="4", answer=REF, min_confidence=0.3),',
        '        dict(type="count_all", got="4", answer="4", min_confidence=0.9),',
        '        dict(type="count_all", got="2", answer="2", min_confidence=0.35),',
        '        dict(type="where", got=REF, answer="top left", min_confidence=0.99)]',
        'print(json.dumps({"none": rule_effect(rows, lambda r: False),',
        '  "below_half": rule_effect(rows, lambda r: r["min_confidence"] < 0.5)}))',
      ].join('\n');
      const out = pythonCheck(check, [], 'abstention rule check');
      assert.deepEqual(out, {
        // As decoded: one of two refusal prompts refused, the "where" prompt refused, two of three right.
        none: { refusals: 0.5, in_scope_refused: 1, in_scope_exact: 2 / 3, right_lost: 0 },
        // Refusing below 0.5 also refuses the answered refusal prompt and the right "2".
        below_half: { refusals: 1, in_scope_refused: 2, in_scope_exact: 1 / 3, right_lost: 1 },
      });
    },
  );
});

describe('the wording probe (wording_probe.py)', () => {
  it(
    'reads a word it never trained on through its pretrained vector, where learnt embeddings see only "unknown"',
    spec,
    () => {
      // Training says "what color" is one task and "how many" another; the evaluated prompts say "hue" and
      // "tally", words training lacks, whose vectors equal "color" and "count". Learnt embeddings read both as
      // the one unknown word, so they cannot tell the two apart; the vectors can. Both vector file formats load alike.
      const check = [
        'import json, os, sys, tempfile',
        'from unmask_train.wording_probe import load_vectors, main',
        'd = tempfile.mkdtemp()',
        'vec = {"color": [1, 0, 0], "hue": [1, 0, 0], "count": [0, 1, 0], "tally": [0, 1, 0], "what": [0, 0, 1]}',
        'open(os.path.join(d, "v.txt"), "w").write("".join(w + " " + " ".join(map(str, v)) + "\\n" for w, v in vec.items()))',
        'json.dump({"dimensions": 3, "vectors": {w: v + [1.0, i] for i, (w, v) in enumerate(vec.items())}}, open(os.path.join(d, "v.json"), "w"))',
        'ex = lambda t, p: dict(type=t, prompt=p, cells=["empty"] * 9, spoken=None)',
        'train = [ex("color_of_shape", "what color"), ex("count_all", "what count")] * 75',
        'held = [ex("color_of_shape", "what hue"), ex("count_all", "what tally")] * 5',
        'for name, rows in (("train", train), ("held", held)):',
        '    open(os.path.join(d, name + ".jsonl"), "w").write("".join(json.dumps(r) + "\\n" for r in rows))',
        'same = load_vectors(os.path.join(d, "v.txt"), set(vec)) == load_vectors(os.path.join(d, "v.json"), set(vec))',
        'args = ["--vectors", os.path.join(d, "v.json"), "--train", os.path.join(d, "train.jsonl"), "--eval", os.path.join(d, "held.jsonl")]',
        'sys.stdout = open(os.devnull, "w")',
        'main(args + ["--steps", "60", "--modes", "learned,vectors", "--json", os.path.join(d, "out.json")])',
        'sys.stdout = sys.__stdout__',
        'out = json.load(open(os.path.join(d, "out.json")))',
        'print(json.dumps({"same": same, **{m: out[m]["in_scope_type_right"] for m in out}}))',
      ].join('\n');
      const out = pythonCheck(check, [], 'wording probe check') as { same: boolean; learned: number; vectors: number };
      assert.equal(out.same, true, 'GloVe text and wink JSON give the same vectors');
      assert.ok(out.learned <= 0.5, `learnt embeddings got ${out.learned} of prompts whose only cue they cannot read`);
      assert.equal(out.vectors, 1, 'the vectors read "hue" as "color" and "tally" as "count"');
    },
  );

  it('refuses an unknown --modes name before it reads the vectors or trains anything', spec, () => {
    // The vectors path does not exist: the mode must be refused first, by name, with the known ones.
    const args = [
      '--vectors',
      '/nonexistent/v.json',
      '--train',
      '/nonexistent/t.jsonl',
      '--eval',
      '/nonexistent/e.jsonl',
    ];
    assert.throws(
      () => python('unmask_train.wording_probe', [...args, '--modes', 'learned,glove'], 'wording probe, bad mode'),
      (error: Error) =>
        /exited with 2/.test(error.message) &&
        /unknown mode 'glove' \(known: learned, vectors/.test(error.message) &&
        !/No such file/.test(error.message),
    );
  });
});
