/**
 * Word vectors in the LM's input (train_lm --word-vectors, unmask_train/wordvec.py), from training to
 * the runtime: a typed word that BPE lacks becomes a whole-word token past the LM's output vocabulary,
 * read through its pretrained vector; the saved LM reads it without the vectors file; the bundle's
 * tokenizer takes it whole (ignore_merges), its manifest says the embed graph reads those ids
 * (sizes.input_vocab_size) while the logits cover only the BPE tokens, and the TypeScript runtime
 * builds the same prompt ids and decodes as PyTorch does. Needs python3-torch as training-smoke.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Unmask } from '@unmask/pipeline';
import { generateText, python, pythonCheck, requireTorchOnCi, trainingSkip } from './python-runner.js';

const spec = { skip: trainingSkip('the word-vector checks') };
const GEN = { length: 8, steps: 8 };
const NEAR_TIE = 1e-4;
/** Words of the vectors file: frame words the worlds use, and made-up-for-this-test synonyms BPE lacks. */
const VECTORS: Record<string, number[]> = {
  color: [1, 0, 0, 0],
  hue: [1, 0, 0, 0.1],
  count: [0, 1, 0, 0],
  tally: [0, 1, 0.1, 0],
  star: [0, 0, 1, 0],
  the: [0, 0, 0, 1],
  top: [0.5, 0, 0.5, 0], // a row and a column word: the cell positions read them (layout compound_pos)
  left: [0, 0.5, 0, 0.5],
};
const PROMPTS = ['what hue is the star', 'tally the shapes', 'what color is the star', 'how many shapes are there'];

interface ReferenceCase {
  prompt: string;
  prompt_ids: number[];
  canvas: number[];
  min_margin: number;
}

describe('word vectors in the input embeddings (train_lm --word-vectors)', () => {
  let dir: string;
  let tokens: string[];
  let reference: ReferenceCase[];
  let unmask: Unmask | undefined;

  before(() => {
    if (spec.skip) return;
    requireTorchOnCi('the word-vector checks');
    dir = mkdtempSync(join(tmpdir(), 'unmask-wordvec-'));
    generateText(1, 1500, join(dir, 'train.jsonl'));
    generateText(2, 100, join(dir, 'eval.jsonl'));
    const words = Object.keys(VECTORS);
    writeFileSync(join(dir, 'vectors.json'), JSON.stringify({ words, vectors: words.map((w) => VECTORS[w]) }));
    const lm = join(dir, 'lm');
    // A small BPE vocabulary, so that "hue" and "tally" are not tokens of their own.
    const size = ['--hidden', '32', '--layers', '1', '--heads', '2', '--ffn', '64', '--vocab-size', '700'];
    const steps = ['--steps', '40', '--eval-every', '40', '--eval-n', '1', '--batch', '16', '--warmup', '5'];
    python(
      'unmask_train.train_lm',
      ['--train', join(dir, 'train.jsonl'), '--eval', join(dir, 'eval.jsonl'), '--out', lm, ...size, ...steps].concat([
        '--seed',
        '0',
        '--word-vectors',
        join(dir, 'vectors.json'),
      ]),
      'train_lm --word-vectors',
    );
    tokens = JSON.parse(readFileSync(join(lm, 'vocab.json'), 'utf8')) as string[];
    python('unmask_train.assemble', ['--lm', join(lm, 'lm.pt'), '--out', join(dir, 'bundle')], 'assemble');
    const gen = ['--gen-length', String(GEN.length), '--steps', String(GEN.steps)];
    python(
      'unmask_train.reference_generate',
      ['--lm', join(lm, 'lm.pt'), ...gen, '--out', join(dir, 'reference.json'), ...PROMPTS],
      'reference_generate',
    );
    reference = (JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as { cases: ReferenceCase[] }).cases;
  });

  after(async () => {
    await unmask?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps what the model read when its vectors are folded into the saved rows, in either mode', spec, () => {
    // A model with vectors installed, its projection and rows random; saved (save_lm) and loaded without
    // the file. Mode "add": a BPE word reads its row plus P v; "replace": P v alone, which its
    // compound tokens and the cell positions (E[row] + E[column]) compose too, while its output row
    // stays its own.
    const check = [
      'import json, os, sys, torch',
      'from unmask_train.lm import LMConfig, MaskedDiffusionLM',
      'from unmask_train.vocab import Vocab',
      'from unmask_train.wordvec import install, read_vectors',
      'from unmask_train.factored import components, install as factored',
      'from unmask_train.checkpoints import check_saved_lm, load_lm, save_lm, save_loaded_lm',
      'from unmask_train.spliced import accept_cell_numbers',
      'vocab = Vocab.load(sys.argv[1]); out = {}',
      'config = LMConfig(vocab_size=vocab.n_output, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2, head_dim=8, tie_word_embeddings=False)',
      'color = vocab.word_id("color"); star = vocab.word_id("star")',
      'compound = next(i for i, parts in components(vocab).items() if star in parts)',
      'for mode in ("add", "replace"):',
      '    torch.manual_seed(0)',
      '    model = MaskedDiffusionLM(config); composition = factored(model, vocab); install(model, vocab, read_vectors(sys.argv[2]), mode)',
      '    torch.nn.init.normal_(model.word_proj.weight)',
      '    ids = torch.arange(len(vocab)).unsqueeze(0)',
      '    cells = torch.randint(0, 10, ids.shape, generator=torch.Generator().manual_seed(1)) * (ids < vocab.n_output)  # scene tokens are BPE ids',
      '    with torch.no_grad(): before = model.embed(ids)[0]; before_cells = model.embed(ids, cells)[0]',
      '    path = os.path.join(os.path.dirname(sys.argv[1]), mode + ".pt"); save_lm(model, config, composition, "compound_pos", path)',
      '    check_saved_lm(model, vocab, "compound_pos", path)',
      '    ck = torch.load(path); ck.pop("cell_positions", None); bad = path + ".bad"; torch.save(ck, bad)',
      '    try: check_saved_lm(model, vocab, "compound_pos", bad); caught = False',
      '    except RuntimeError: caught = True',
      '    loaded, _ = load_lm(path)',
      '    with torch.no_grad(): after = loaded.embed(ids)[0]',
      '    again = path + ".again"; save_loaded_lm(loaded, "compound_pos", again); resaved, _ = load_lm(again)',
      '    worst_cells = 0.0',
      '    for m in (loaded, resaved):',
      '        accept_cell_numbers(m, vocab)',
      '        with torch.no_grad(): worst_cells = max(worst_cells, (before_cells - m.embed(ids, cells)[0]).abs().max().item())',
      '    pv = (model.word_vectors[model.word_row[color]] @ model.word_proj.weight.T).detach()',
      '    own = model.embed_tokens.weight[color].detach()',
      '    out[mode] = {"whole": len(loaded.whole_words), "worst": (before - after).abs().max().item(), "scale": before.abs().max().item(), "worst_cells": worst_cells, "check_catches_lost_positions": caught,',
      '        "reads_pv_alone": torch.allclose(before[color], pv, atol=1e-6), "reads_own_plus_pv": torch.allclose(before[color], own + pv, atol=1e-6),',
      '        "head_is_own": torch.equal(loaded.lm_head.weight[color], own),',
      '        "compound_has_star_input": torch.allclose(before[compound] - model.embed_tokens.weight[compound].detach(), before[star] + before[next(j for j in components(vocab)[compound] if j != star)], atol=1e-5)}',
      'print(json.dumps(out))',
    ].join('\n');
    type Mode = { whole: number; worst: number; scale: number; worst_cells: number } & Record<string, boolean>;
    const out = pythonCheck(check, [join(dir, 'lm', 'tokenizer.json'), join(dir, 'vectors.json')], 'save_lm') as {
      add: Mode;
      replace: Mode;
    };
    for (const mode of [out.add, out.replace]) {
      assert.ok(mode.whole >= 2, `${mode.whole} whole-word rows ("hue" and "tally" at least)`);
      assert.ok(mode.worst <= 1e-5 * mode.scale, `saved rows differ by ${mode.worst} (scale ${mode.scale})`);
      // compound_pos: a scene token given its cell reads the same position, loaded and saved again
      assert.ok(mode.worst_cells <= 1e-5 * mode.scale, `cell positions differ by ${mode.worst_cells} once loaded`);
      assert.equal(mode.head_is_own, true, "a word's output row stays its own learnt row");
    }
    assert.equal(out.add.reads_own_plus_pv, true);
    assert.equal(out.replace.reads_pv_alone, true);
    assert.equal(out.replace.compound_has_star_input, true, 'a compound token composes the replaced input rows');
    // train_lm's check after each save (checkpoints.check_saved_lm) fails a replace-mode lm.pt without
    // its cell positions; in add mode they are the head's rows, which a file without them falls back to
    assert.equal(out.replace.check_catches_lost_positions, true);
    assert.equal(out.add.check_catches_lost_positions, false);
  });

  it('keeps the whole-word rows when a later stage saves the loaded LM again (train_joint)', spec, () => {
    const check = [
      'import json, os, sys, torch',
      'from unmask_train.checkpoints import load_lm, save_loaded_lm',
      'model, layout = load_lm(sys.argv[1]); again = os.path.join(os.path.dirname(sys.argv[1]), "again.pt")',
      'save_loaded_lm(model, layout, again); loaded, _ = load_lm(again)',
      'ids = torch.arange(model.config.vocab_size + len(model.whole_words)).unsqueeze(0)',
      'print(json.dumps({"same": bool(torch.equal(model.embed(ids), loaded.embed(ids))), "rows": ids.shape[1]}))',
    ].join('\n');
    const out = pythonCheck(check, [join(dir, 'lm', 'lm.pt')], 'save_loaded_lm') as { same: boolean; rows: number };
    assert.equal(out.rows, tokens.length);
    assert.equal(out.same, true);
  });

  it(
    'adds whole-word tokens past the output vocabulary, and the manifest says the embed graph reads them',
    spec,
    async () => {
      const bpe = tokens.indexOf('Ġhue');
      assert.ok(bpe >= 0, '"hue" is a whole-word token');
      unmask = await Unmask.load(join(dir, 'bundle'), { poolSize: 1, maxBatchSize: 1 });
      const { manifest, info } = unmask.bundle;
      assert.equal(manifest.sizes.input_vocab_size, tokens.length);
      assert.equal(info.inputVocabSize, tokens.length);
      assert.ok(bpe >= info.vocabSize, `"hue" (${bpe}) is input only: logits cover ids below ${info.vocabSize}`);
      const tokenizer = JSON.parse(readFileSync(join(dir, 'bundle', 'tokenizer.json'), 'utf8'));
      assert.equal(tokenizer.model.ignore_merges, true, 'the tokenizer takes a vocabulary word whole');
    },
  );

  it('builds the prompt ids training built, whole words included', spec, async () => {
    assert.ok(unmask, 'the bundle did not load');
    const hue = tokens.indexOf('Ġhue');
    for (const c of reference) {
      const { promptIds } = await unmask.prepare({ prompt: c.prompt });
      assert.deepEqual(promptIds, c.prompt_ids, c.prompt);
    }
    assert.ok(reference[0]!.prompt_ids.includes(hue), 'the first prompt reads "hue" as one token');
  });

  it('decodes as PyTorch does where no decision is a near-tie, writing only output tokens', spec, async (t) => {
    assert.ok(unmask, 'the bundle did not load');
    const clear = reference.filter((c) => c.min_margin >= NEAR_TIE);
    assert.ok(clear.length > 0, 'every prompt met a near-tie');
    t.diagnostic(`${clear.length} of ${reference.length} prompts compared`);
    const { vocabSize } = unmask.bundle.info;
    assert.ok(
      clear.some((c) => c.prompt_ids.some((id) => id >= vocabSize)),
      'a compared prompt holds an input-only word',
    );
    for (const c of clear) {
      const result = await unmask.ask({
        prompt: c.prompt,
        maxTokens: GEN.length,
        strategy: { name: 'low_confidence', steps: GEN.steps, block_length: GEN.length, eos_fill: true },
      });
      assert.deepEqual(result.canvas, c.canvas, c.prompt);
      assert.ok(result.canvas.every((id) => id < vocabSize));
    }
  });
});
