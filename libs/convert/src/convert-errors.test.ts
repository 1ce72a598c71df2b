import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isUnmaskError } from '@unmask/core';
import {
  fixtureTensors,
  LLAMA_CHECKPOINT,
  lladaConfig,
  makeCheckpoint,
  toLladaName,
} from '../test-support/checkpoint-fixtures.js';
import { convertCheckpoint } from './convert-checkpoint.js';

describe('convertCheckpoint refuses a checkpoint it cannot convert faithfully, naming the problem', () => {
  const work = mkdtempSync(join(tmpdir(), 'unmask-convert-errors-'));
  const made: string[] = [];
  const checkpoint = (edit: Parameters<typeof makeCheckpoint>[0]) => {
    const dir = makeCheckpoint(edit);
    made.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of [work, ...made]) rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  const convert = (from: string, extra: Record<string, unknown> = {}) =>
    convertCheckpoint({ from, to: join(work, `out-${n++}`), ...extra });
  const fails = (fn: () => unknown, code: string, message: RegExp) =>
    assert.throws(fn, (error: unknown) => {
      assert.ok(isUnmaskError(error), `expected an UnmaskError, got ${String(error)}`);
      assert.equal(error.code, code);
      assert.match(error.message, message);
      return true;
    });

  it('names a renamed (so missing) tensor and the shape it should have', () => {
    const from = checkpoint({
      tensors: (t) =>
        new Map(
          [...t].map(([name, tensor]) => [
            name === 'model.layers.1.mlp.up_proj.weight' ? 'model.layers.1.mlp.upproj.weight' : name,
            tensor,
          ]),
        ),
    });
    fails(
      () => convert(from),
      'invalid_bundle',
      /missing tensor "model\.layers\.1\.mlp\.up_proj\.weight" \(expected shape \[160, 64\]\)/,
    );
  });

  it('names a misshapen tensor with its shape and the shape config.json implies', () => {
    const from = checkpoint({
      tensors: (t) => {
        const k = t.get('model.layers.0.self_attn.k_proj.weight')!;
        return new Map(t).set('model.layers.0.self_attn.k_proj.weight', { ...k, shape: [64, 32] });
      },
    });
    fails(
      () => convert(from),
      'invalid_bundle',
      /tensor "model\.layers\.0\.self_attn\.k_proj\.weight" has shape \[64, 32\], config\.json implies \[32, 64\]/,
    );
  });

  it('names unexpected tensors (a vision tower the converter does not handle yet)', () => {
    const from = checkpoint({
      tensors: (t) =>
        new Map(t).set('model.vision_tower.patch_embed.weight', {
          dtype: 'F32',
          shape: [2],
          data: new Float32Array(2),
        }),
    });
    fails(() => convert(from), 'invalid_bundle', /unexpected tensor "model\.vision_tower\.patch_embed\.weight"/);
  });

  it('names a LLaDA-layout tensor missing from a LLaDA checkpoint', () => {
    const from = checkpoint({
      config: lladaConfig(),
      tensors: (t) =>
        new Map(
          [...t]
            .filter(([name]) => name !== 'model.layers.0.self_attn.o_proj.weight')
            .map(([name, tensor]) => [toLladaName(name), tensor]),
        ),
    });
    fails(() => convert(from), 'invalid_bundle', /missing tensor "model\.transformer\.blocks\.0\.attn_out\.weight"/);
  });

  it('refuses a LLaDA option the graph does not implement instead of ignoring it', () => {
    const from = checkpoint({ config: { ...lladaConfig(), include_qkv_bias: true } });
    fails(
      () => convert(from),
      'invalid_bundle',
      /config\.json: include_qkv_bias: q\/k\/v biases in LLaDA blocks are not supported yet/,
    );
  });

  it('refuses an unknown model_type', () => {
    const from = checkpoint({ config: { model_type: 'mamba', architectures: ['MambaForCausalLM'] } });
    fails(
      () => convert(from),
      'invalid_bundle',
      /model_type: "mamba" \(MambaForCausalLM\) is not an architecture the converter knows/,
    );
  });

  it('needs a mask token from config.json or tokenizer_config.json', () => {
    const from = checkpoint({});
    writeFileSync(join(from, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|endoftext|>' }));
    fails(
      () => convert(from),
      'invalid_bundle',
      /cannot tell the mask token: config\.json has no mask_token_id, tokenizer_config\.json no mask_token and no <\|mdm_mask\|> among its additional_special_tokens/,
    );
  });

  it('names a weight format it does not know', () => {
    fails(() => convert(LLAMA_CHECKPOINT, { weights: 'int3' }), 'invalid_parameter', /weights: /);
  });

  it('does not write into a folder that already has files, and writes nothing when the checkpoint is bad', () => {
    const full = join(work, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'x');
    fails(
      () => convertCheckpoint({ from: LLAMA_CHECKPOINT, to: full }),
      'invalid_parameter',
      /must not exist yet or be empty/,
    );
    const bad = checkpoint({ tensors: (t) => new Map([...t].filter(([name]) => name !== 'model.norm.weight')) });
    const to = join(work, 'never');
    fails(() => convertCheckpoint({ from: bad, to }), 'invalid_bundle', /missing tensor "model\.norm\.weight"/);
    assert.throws(() => readdirSync(to), /ENOENT/);
  });

  it('names a tensor cut short by a truncated file before writing anything', () => {
    const from = checkpoint({});
    const file = join(from, 'model.safetensors');
    truncateSync(file, statSync(file).size - 4096);
    const to = join(work, 'cut');
    fails(
      () => convertCheckpoint({ from, to }),
      'invalid_bundle',
      /tensor "[^"]+" runs past the end of the file \(\d+ bytes\): the file is cut short/,
    );
    assert.throws(() => readdirSync(to), /ENOENT/);
  });

  it('names a weight stored as integers (a quantised checkpoint)', () => {
    const from = checkpoint({});
    const tensors = fixtureTensors();
    const header: Record<string, unknown> = {};
    const blobs: Buffer[] = [];
    let offset = 0;
    for (const [name, t] of tensors) {
      const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      header[name] = {
        dtype: name === 'model.norm.weight' ? 'I32' : 'F32',
        shape: t.shape,
        data_offsets: [offset, offset + bytes.length],
      };
      blobs.push(bytes);
      offset += bytes.length;
    }
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    writeFileSync(join(from, 'model.safetensors'), Buffer.concat([length, json, ...blobs]));
    fails(
      () => convert(from),
      'invalid_bundle',
      /tensor "model\.norm\.weight" is I32; weights must be F32, F16, BF16, F64/,
    );
  });

  it('removes a half-written bundle when the conversion stops while streaming', () => {
    const to = join(work, 'stopped');
    assert.throws(
      () =>
        convertCheckpoint({ from: LLAMA_CHECKPOINT, to }, ({ graph, done }) => {
          if (graph === 'lm.onnx' && done === 3) throw new Error('stopped by the caller');
        }),
      /stopped by the caller/,
    );
    assert.throws(() => readdirSync(to), /ENOENT/);
  });
});
