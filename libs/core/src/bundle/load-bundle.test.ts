import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isUnmaskError } from '../errors.js';
import { SafetensorsFile } from '../test-support/safetensors-file.js';
import { OnnxWorkerPool } from '../runtime/worker-pool.js';
import { type Bundle, loadBundle } from './load-bundle.js';

const tinyBundle = fileURLToPath(new URL('../../test-fixtures/tiny-bundle', import.meta.url));
const reference = SafetensorsFile.read(
  fileURLToPath(new URL('../../test-fixtures/tiny-reference.safetensors', import.meta.url)),
);

describe('loadBundle on the tiny bundle', () => {
  let bundle: Bundle;
  before(async () => {
    bundle = await loadBundle(tinyBundle, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
  });
  after(() => bundle.close());

  it('reads the manifest into the model info the engine needs', () => {
    assert.deepEqual(bundle.info, {
      vocabSize: 64,
      hiddenSize: 32,
      maxPositions: 128,
      maskTokenId: 2,
      eosTokenId: 1,
      padTokenId: 0,
      shiftedLogits: false,
    });
    assert.equal(bundle.manifest.name, 'tiny-random');
  });

  it('resolves special tokens given as strings, ids or both', () => {
    assert.deepEqual(bundle.specialTokens.mask, { id: 2, token: '<|mask|>' });
    assert.deepEqual(bundle.specialTokens.eos, { id: 1, token: '<|eos|>' });
    assert.deepEqual(bundle.specialTokens.pad, { id: 0, token: '<|pad|>' });
    assert.equal(bundle.specialTokens.image?.token, '<|image|>');
  });

  it('renders the chat template and tokenizes the prompt', () => {
    const prompt = bundle.chatTemplate.render([{ role: 'user', content: 'What is the colour of the sky ?' }]);
    assert.equal(prompt, '<|user|> What is the colour of the sky ? <|assistant|> ');
    const ids = bundle.tokenizer.encode(prompt);
    assert.equal(ids[0], bundle.tokenizer.tokenToId('<|user|>'));
    assert.equal(ids.at(-1), bundle.tokenizer.tokenToId('<|assistant|>'));
    assert.equal(bundle.tokenizer.decode(ids, { skipSpecialTokens: true }), 'what is the colour of the sky?');
  });

  it('runs the language model with PyTorch’s logits', async () => {
    const a = reference.integers('a.input_ids').data;
    const positions = a.map((_, i) => i);
    const [result] = await bundle.model.forward([{ inputIds: a, positionIds: positions, logitsIndices: positions }]);
    const expected = reference.float32('a.logits').data;
    let worst = 0;
    result!.logits.forEach((value, i) => (worst = Math.max(worst, Math.abs(value - expected[i]!))));
    assert.ok(worst < 1e-4, `max abs diff ${worst}`);
  });
});

describe('loadBundle on a bad bundle', () => {
  let pool: OnnxWorkerPool;
  let scratch: string;
  before(() => {
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
    scratch = mkdtempSync(join(tmpdir(), 'unmask-bundle-'));
  });
  after(async () => {
    await pool.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  let count = 0;
  /** A copy of the tiny bundle with `edit` applied to its manifest and folder. */
  // biome-ignore lint/suspicious/noExplicitAny: the tests edit arbitrary manifest fields
  function variant(edit: (manifest: Record<string, any>, dir: string) => void): string {
    const dir = join(scratch, `b${count++}`);
    cpSync(tinyBundle, dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    edit(manifest, dir);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    return dir;
  }

  async function rejects(dir: string, message: RegExp): Promise<void> {
    await assert.rejects(loadBundle(dir, { pool }), (error) => {
      assert.ok(isUnmaskError(error, 'invalid_bundle'), `expected invalid_bundle, got ${String(error)}`);
      assert.match(error.message, message);
      return true;
    });
  }

  it('names a missing graph file and its manifest field', async () => {
    await rejects(
      variant((_, dir) => rmSync(join(dir, 'lm.onnx'))),
      /manifest\.json: lm\.graph: file "lm\.onnx" does not exist/,
    );
  });

  it('names a graph input the contract does not know', async () => {
    const dir = variant((_, dir) => {
      const bytes = readFileSync(join(dir, 'lm.onnx'));
      const renamed = Buffer.from(bytes.toString('latin1').replaceAll('position_ids', 'position_idz'), 'latin1');
      writeFileSync(join(dir, 'lm.onnx'), renamed);
    });
    await rejects(dir, /lm\.onnx: missing input "position_ids"/);
  });

  it('rejects a graph standing in for another (wrong names and ranks)', async () => {
    await rejects(
      variant((m) => (m.lm.graph = 'embed.onnx')),
      /embed\.onnx: missing input "inputs_embeds"/,
    );
  });

  it('rejects an unknown format version', async () => {
    await rejects(
      variant((m) => (m.format = 2)),
      /manifest\.json: format: unknown format version 2; this runtime reads format 1/,
    );
  });

  it('rejects a special token id outside the vocabulary', async () => {
    await rejects(
      variant((m) => (m.special_tokens.pad = 64)),
      /manifest\.json: special_tokens\.pad: token id 64 is outside the vocabulary \[0, 64\)/,
    );
  });

  it('rejects a special token string the tokenizer lacks, or a string and id that disagree', async () => {
    await rejects(
      variant((m) => (m.special_tokens.eos = '<|end|>')),
      /special_tokens\.eos: token "<\|end\|>" is not in tokenizer\.json/,
    );
    await rejects(
      variant((m) => (m.special_tokens.mask = { token: '<|mask|>', id: 3 })),
      /special_tokens\.mask: token "<\|mask\|>" has id 2 in tokenizer\.json, not 3/,
    );
  });

  it('rejects manifest sizes that contradict the graphs', async () => {
    await rejects(
      variant((m) => (m.sizes.hidden_size = 48)),
      /embed\.onnx: output "inputs_embeds" has size 32 on axis 2, but manifest sizes\.hidden_size is 48/,
    );
    await rejects(
      variant((m) => (m.sizes.num_layers = 3)),
      /lm\.onnx: missing input "past_key_values\.2\.key" \(manifest sizes\.num_layers = 3\)/,
    );
    await rejects(
      variant((m) => (m.sizes.num_key_value_heads = 4)),
      /past_key_values\.0\.key" has size 2 on axis 1, but manifest sizes\.num_key_value_heads is 4/,
    );
    await rejects(
      variant((m) => (m.sizes.vocab_size = 32)),
      /sizes\.vocab_size: is 32, but tokenizer\.json has token ids up to 63/,
    );
    await rejects(
      variant((m) => (m.sizes.input_vocab_size = 32)),
      /sizes\.input_vocab_size: input_vocab_size must be at least vocab_size/,
    );
  });

  it('rejects a 1-D rotary graph in a bundle that declares M-RoPE', async () => {
    await rejects(
      variant((m) => (m.lm.position_ids = 'mrope')),
      /lm\.onnx: input "position_ids" has rank 2 \[batch, seq\], the contract needs rank 3/,
    );
  });

  it('names the field of a schema violation', async () => {
    await rejects(
      variant((m) => (m.sizes.head_dim = -8)),
      /manifest\.json: sizes\.head_dim: /,
    );
    await rejects(
      variant((m) => delete m.lm.shifted_logits),
      /manifest\.json: lm\.shifted_logits: /,
    );
    await rejects(
      variant((m) => (m.tokenizer = '../tokenizer.json')),
      /manifest\.json: tokenizer: must be a relative path inside the bundle folder/,
    );
  });

  it('rejects a declared JSON answer whose schema constrained decoding cannot express, naming the keyword', async () => {
    await rejects(
      variant((m) => (m.generation = { json_answer: { schema: { type: 'object', not: { required: ['a'] } } } })),
      /manifest\.json: generation\.json_answer\.schema: #: the keyword "not" is not supported/,
    );
    await rejects(
      variant((m) => (m.generation = { json_answer: { schema: { type: 'object' }, extra: 1 } })),
      /manifest\.json: generation\.json_answer: /,
    );
  });

  it('checks the files and placeholder of a vision or audio section', async () => {
    const vision = {
      graph: 'vision.onnx',
      placeholder: '<|image|>',
      tokens_per_image: { kind: 'fixed', count: 4 },
      processor: {},
    };
    await rejects(
      variant((m) => (m.vision = vision)),
      /manifest\.json: vision\.graph: file "vision\.onnx" does not exist/,
    );
    await rejects(
      variant((m, dir) => {
        writeFileSync(join(dir, 'vision.onnx'), '');
        m.vision = { ...vision, placeholder: '<|audio|>' };
      }),
      /vision\.placeholder: is token id 9, but special_tokens\.image is 8/,
    );
    await rejects(
      variant((m) => (m.audio = { encoder: 'enc.onnx', placeholder: '<|audio|>', feature_extractor: {} })),
      /manifest\.json: audio\.adapter: /,
    );
  });

  it('rejects a chat template that does not parse, and a missing manifest', async () => {
    await rejects(
      variant((_, dir) => writeFileSync(join(dir, 'chat_template.jinja'), '{% for m in %}')),
      /chat_template\.jinja: the chat template does not parse/,
    );
    const noManifest = variant(() => {});
    rmSync(join(noManifest, 'manifest.json'));
    await rejects(noManifest, /manifest\.json: the bundle has no manifest/);
  });

  it('resolves the decoding section’s tokens to ids for the engine', async () => {
    const dir = variant((m) => {
      m.decoding = {
        family: 'llada-v',
        strategy: 'low_confidence',
        parameters: { low_confidence: { block_length: 4 } },
        options: { eos_fill: false },
        sampling: { temperature: 0 },
        max_tokens: 8,
        stop_tokens: ['<|eos|>'],
        suppress_tokens: ['<|user|>', 5],
        eot_token: '<|assistant|>',
      };
    });
    const bundle = await loadBundle(dir, { poolSize: 1 });
    try {
      const user = bundle.tokenizer.tokenToId('<|user|>');
      assert.deepEqual(bundle.decodingDefaults, {
        strategy: 'low_confidence',
        parameters: { low_confidence: { block_length: 4 } },
        options: { eos_fill: false, stop_tokens: [1], suppress_tokens: [user, 5] },
        sampling: { temperature: 0 },
        max_tokens: 8,
        eot_token_id: bundle.tokenizer.tokenToId('<|assistant|>'),
      });
    } finally {
      await bundle.close();
    }
  });

  it('rejects a decoding section with a bad strategy parameter or an unknown token, naming the field', async () => {
    await rejects(
      variant((m) => (m.decoding = { family: 'x', strategy: 'dream', parameters: { dream: { alg: 'greedy' } } })),
      /manifest\.json: decoding\.parameters\.dream\.alg: Invalid option/,
    );
    await rejects(
      variant((m) => (m.decoding = { family: 'x', strategy: 'lowest' })),
      /manifest\.json: decoding\.strategy/,
    );
    await rejects(
      variant((m) => (m.decoding = { family: 'x', strategy: 'threshold', stop_tokens: ['<|eot|>'] })),
      /decoding\.stop_tokens\[0\]: token "<\|eot\|>" is not in tokenizer\.json/,
    );
  });
});
