import assert from 'node:assert/strict';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChatTemplate, loadBundle, TextTokenizer, UnmaskError } from '@unmask/core';
import { SafetensorsFile } from '@unmask/core/testing';
import { createImageProcessor, decodeImage, VisionEncoder } from '@unmask/vision';
import { LLAMA_CHECKPOINT, lladaConfig } from '../test-support/checkpoint-fixtures.js';
import {
  DIFFA_FOLDERS,
  LLADA_V_VISION_PREFIX,
  makeDiffaCheckpoint,
  makeDiffaFolders,
  makeLladaVCheckpoint,
  SIGLIP_FIXTURE,
  WHISPER_FIXTURE,
} from '../test-support/multimodal-fixtures.js';
import { safetensorsToTorch, TORCH_FIXTURES, writeTorchCheckpoint } from '../test-support/torch-writer.js';
import { CheckpointTensors } from './checkpoint/checkpoint-tensors.js';
import { convertModel } from './convert-model.js';
import { ensurePlaceholderToken, mediaChatTemplate } from './bundle/media-placeholders.js';
import { DIFFA_PROMPT } from './families/family-prompts.js';
import { multimodalKind } from './families/multimodal-config.js';

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('recognising multimodal checkpoints from config.json', () => {
  it('tells LLaDA-V, DIFFA and Dimple from plain language models', () => {
    assert.equal(multimodalKind({ model_type: 'llava_llada' }), 'llada-v');
    assert.equal(multimodalKind({ ...lladaConfig(), mm_vision_tower: 'google/siglip-so400m-patch14-384' }), 'llada-v');
    assert.equal(multimodalKind({ whisper_config: {}, llm_config: {} }), 'diffa');
    assert.equal(multimodalKind({ model_type: 'diffa' }), 'diffa');
    assert.equal(multimodalKind({ model_type: 'Dimple' }), 'dimple');
    assert.equal(
      multimodalKind({ model_type: 'Dream', vision_config: { window_size: 112, fullatt_block_indexes: [7] } }),
      'dimple',
    );
    assert.equal(multimodalKind(lladaConfig()), undefined);
    assert.equal(multimodalKind({ model_type: 'qwen2' }), undefined);
  });
});

describe('the media placeholder and chat template a converted multimodal bundle gets', () => {
  const template =
    "{{ bos_token }}{% for message in messages %}<{{ message['role'] }}> {{ message['content'] }}{% endfor %}";
  const wrapped = new ChatTemplate(
    mediaChatTemplate(template, { image: '<image>\n', audio: 'This is the audio: <audio>\n' }),
  );
  const variables = { bos_token: '<s>' };

  it('renders text-only messages exactly as the checkpoint’s template does', () => {
    const messages = [
      { role: 'user', content: 'hello "there"' },
      { role: 'assistant', content: 'hi' },
    ];
    assert.equal(wrapped.render(messages, { variables }), new ChatTemplate(template).render(messages, { variables }));
  });

  it('turns image and audio parts into their placeholder text, in order, followed by the text parts', () => {
    const text = wrapped.render(
      [{ role: 'user', content: [{ type: 'image' }, { type: 'audio' }, { type: 'text', text: 'what?' }] }],
      { variables },
    );
    assert.equal(text, '<s><user> <image>\nThis is the audio: <audio>\nwhat?');
  });

  it('puts the family’s system prompt first when the messages bring none, and keeps one they bring', () => {
    const withSystem = new ChatTemplate(mediaChatTemplate(template, { audio: 'A:<ph> ' }, 'Be brief.'));
    assert.equal(
      withSystem.render([{ role: 'user', content: [{ type: 'audio' }, { type: 'text', text: 'q' }] }], { variables }),
      '<s><system> Be brief.<user> A:<ph> q',
    );
    assert.equal(
      withSystem.render(
        [
          { role: 'system', content: 'Mine.' },
          { role: 'user', content: 'q' },
        ],
        { variables },
      ),
      '<s><system> Mine.<user> q',
    );
  });

  it('adds the placeholder to tokenizer.json at the first unused id, as one token, and refuses when the embedding has no spare row', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unmask-placeholder-'));
    try {
      const path = join(dir, 'tokenizer.json');
      copyFileSync(join(LLAMA_CHECKPOINT, 'tokenizer.json'), path);
      assert.throws(
        () => ensurePlaceholderToken(path, '<image>', 28),
        /cannot add the placeholder token "<image>": the tokenizer uses every id of the model's 28 embedding rows/,
      );
      assert.equal(ensurePlaceholderToken(path, '<image>', 512), 28);
      assert.equal(ensurePlaceholderToken(path, '<image>', 512), 28, 'a second call finds it');
      assert.equal(ensurePlaceholderToken(path, '<unk>', 512), 0, 'an existing token is used as it is');
      const tokenizer = TextTokenizer.fromFile(path);
      assert.deepEqual(
        tokenizer.encode('hello <image>\nworld').filter((id) => id === 28),
        [28],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('convertModel on multimodal checkpoints', () => {
  const made: string[] = [];
  let work: string;
  const checkpoint = (make: () => string) => {
    const dir = make();
    made.push(dir);
    return dir;
  };
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'unmask-convert-model-'));
  });
  after(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });
  const refused = (from: string, pattern: RegExp) => {
    const to = join(work, `refused-${made.length}-${Math.random().toString(36).slice(2)}`);
    assert.throws(
      () => convertModel({ from, to }),
      (e) => e instanceof UnmaskError && pattern.test(e.message),
    );
    assert.equal(existsSync(to), false, 'nothing is written');
  };

  it('writes a LLaDA-V bundle: LM graphs, vision.onnx (SigLIP without its last layer) and projector.onnx, the processor config, 16 rows per view and the anyres settings with the image_newline', async () => {
    const from = checkpoint(() => makeLladaVCheckpoint());
    const to = join(work, 'llada-v');
    const result = convertModel({ from, to, weights: 'int8' });
    assert.equal(result.family, 'llada-v');
    assert.deepEqual(result.notes, []);
    const manifest = json(join(to, 'manifest.json')) as {
      lm: { weights: string };
      vision: { tokens_per_image: unknown; processor: unknown; placeholder: unknown; anyres: unknown };
      special_tokens: { image: unknown };
    };
    assert.equal(manifest.lm.weights, 'int8');
    assert.deepEqual(manifest.vision.tokens_per_image, { kind: 'fixed', count: 16 });
    // LLaVA's SigLipImageProcessor resizes with PIL: Pillow's arithmetic.
    assert.deepEqual(manifest.vision.processor, {
      ...json(join(SIGLIP_FIXTURE, 'processor/preprocessor_config.json')),
      resize_arithmetic: 'pillow',
    });
    // "(1x1),...,(3x3)" of the tower's 64 px tiles, width-major as LLaVA expands it.
    const grids = [1, 2, 3].flatMap((i) => [1, 2, 3].map((j) => [64 * i, 64 * j]));
    assert.deepEqual(manifest.vision.anyres, {
      image_aspect_ratio: 'anyres_max_4',
      image_grid_pinpoints: grids,
      mm_patch_merge_type: 'spatial_unpad',
      image_newline: 'image_newline.safetensors',
    });
    assert.deepEqual(
      SafetensorsFile.read(join(to, 'image_newline.safetensors')).float32('image_newline').data,
      CheckpointTensors.open(from).readFloat32('model.image_newline'),
    );
    assert.deepEqual(manifest.special_tokens.image, { token: '<image>', id: 28 });
    const bundle = await loadBundle(to, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
    try {
      const section = bundle.manifest.vision!;
      const encoder = new VisionEncoder({
        processor: createImageProcessor(section.processor),
        encoder: await bundle.openGraph(section.graph),
        projector: await bundle.openGraph(section.projector!),
      });
      const features = await encoder.encode(await decodeImage(readFileSync(join(SIGLIP_FIXTURE, 'input.png'))));
      assert.deepEqual([features.tokens, features.hidden], [16, 64]);
    } finally {
      await bundle.close();
    }
  });

  it('writes a DIFFA bundle whose adapter graph takes the encoder’s tapped states and feature_frames', async () => {
    const from = checkpoint(() => makeDiffaCheckpoint());
    const to = join(work, 'diffa');
    convertModel({ from, to });
    const bundle = await loadBundle(to, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
    try {
      const audio = bundle.manifest.audio!;
      assert.deepEqual(
        audio.feature_extractor,
        json(join(WHISPER_FIXTURE, 'feature_extractor_80/preprocessor_config.json')),
      );
      const adapter = await bundle.openGraph(audio.adapter);
      assert.deepEqual(
        adapter.inputs.map((io) => io.name),
        [
          'last_hidden_state',
          'hidden_states.0',
          'hidden_states.1',
          'hidden_states.2',
          'hidden_states.3',
          'feature_frames',
        ],
      );
      const encoder = await bundle.openGraph(audio.encoder);
      assert.deepEqual(encoder.outputs.map((io) => io.name).sort(), [
        'hidden_states.0',
        'hidden_states.1',
        'hidden_states.2',
        'hidden_states.3',
        'last_hidden_state',
      ]);
      assert.equal(bundle.specialTokens.audio?.token, DIFFA_PROMPT.placeholder);
    } finally {
      await bundle.close();
    }
  });

  it('names a missing tower tensor (SigLIP layer, projector, Whisper, DIFFA adapter) and writes nothing', () => {
    const drop = (name: string) => ({ tensors: (t: Map<string, unknown>) => (t.delete(name), t) }) as never;
    refused(
      checkpoint(() => makeLladaVCheckpoint(drop(`${LLADA_V_VISION_PREFIX}encoder.layers.1.mlp.fc2.weight`))),
      /missing tensor "model\.vision_tower\.vision_tower\.vision_model\.encoder\.layers\.1\.mlp\.fc2\.weight" \(expected shape \[64, 128\]\)/,
    );
    refused(
      checkpoint(() => makeLladaVCheckpoint(drop('model.mm_projector.2.bias'))),
      /missing tensor "model\.mm_projector\.2\.bias" \(expected shape \[64\]\)/,
    );
    refused(
      checkpoint(() => makeDiffaCheckpoint(drop('whisper_model.model.encoder.layers.2.fc1.weight'))),
      /missing tensor "whisper_model\.model\.encoder\.layers\.2\.fc1\.weight"/,
    );
    refused(
      checkpoint(() => makeDiffaCheckpoint(drop('acoustic_connector.layer_weights'))),
      /missing tensor "acoustic_connector\.layer_weights" \(expected shape \[4, 4\]\)/,
    );
    refused(
      checkpoint(() => makeDiffaCheckpoint(drop('llm_model.model.transformer.blocks.1.ff_out.weight'))),
      /missing tensor "llm_model\.model\.transformer\.blocks\.1\.ff_out\.weight"/,
    );
  });

  it('names tensors that belong to no part it converts', () => {
    const extra = {
      tensors: (t: Map<string, unknown>) =>
        t.set('model.audio_tower.proj.weight', { dtype: 'F32', shape: [2], data: new Float32Array(2) }),
    } as never;
    refused(
      checkpoint(() => makeLladaVCheckpoint(extra)),
      /unexpected tensor "model\.audio_tower\.proj\.weight"/,
    );
  });

  it('refuses configurations it does not implement, naming the field', () => {
    refused(
      checkpoint(() => makeLladaVCheckpoint({ config: (c) => ({ ...c, mm_projector_type: 'linear' }) })),
      /config\.json: mm_projector_type: only "mlp2x_gelu"/,
    );
    refused(
      checkpoint(() =>
        makeLladaVCheckpoint({
          config: ({ vision_config: _, ...c }) => ({ ...c, mm_vision_tower: 'openai/clip-vit-large-patch14' }),
        }),
      ),
      /mm_vision_tower: "openai\/clip-vit-large-patch14" is not a SigLIP tower the converter knows/,
    );
    refused(
      checkpoint(() => makeLladaVCheckpoint({ config: (c) => ({ ...c, mm_hidden_size: 1152 }) })),
      /mm_hidden_size: is 1152, but the vision tower is 64 wide/,
    );
    refused(
      checkpoint(() => makeDiffaCheckpoint({ config: (c) => ({ ...c, whisper_model_id: 'openai/whisper-base' }) })),
      /config\.json: whisper_model_id: DIFFA knows the tapped layers of openai\/whisper-tiny/,
    );
  });

  it('keeps one view per image without anyres, and says so for anyres merges it does not implement', () => {
    const square = checkpoint(() =>
      makeLladaVCheckpoint({ config: ({ image_aspect_ratio: _, ...c }) => ({ ...c, image_aspect_ratio: 'square' }) }),
    );
    const to = join(work, `one-view-${made.length}`);
    const result = convertModel({ from: square, to });
    assert.deepEqual(result.notes, []);
    assert.equal((json(join(to, 'manifest.json')).vision as Record<string, unknown>).anyres, undefined);
    assert.equal(existsSync(join(to, 'image_newline.safetensors')), false);
    const flat = checkpoint(() => makeLladaVCheckpoint({ config: (c) => ({ ...c, mm_patch_merge_type: 'flat' }) }));
    const flatTo = join(work, `flat-${made.length}`);
    assert.deepEqual(convertModel({ from: flat, to: flatTo }).notes, [
      'image_aspect_ratio "anyres_max_4" with mm_patch_merge_type "flat": only "spatial_unpad" is implemented; the bundle encodes one 64 × 64 view per image',
    ]);
  });

  it('refuses anyres it cannot carry: no pinpoints, pinpoints off the tile, no or misshapen image_newline', () => {
    refused(
      checkpoint(() => makeLladaVCheckpoint({ config: ({ image_grid_pinpoints: _, ...c }) => c })),
      /config\.json: image_grid_pinpoints: is missing; image_aspect_ratio "anyres_max_4" tiles images/,
    );
    refused(
      checkpoint(() => makeLladaVCheckpoint({ config: (c) => ({ ...c, image_grid_pinpoints: [[64, 100]] }) })),
      /image_grid_pinpoints: \[64, 100\] is not a whole number of the tower's 64 × 64 tiles/,
    );
    refused(
      checkpoint(() => makeLladaVCheckpoint({ config: (c) => ({ ...c, image_aspect_ratio: 'anyres_max_four' }) })),
      /image_aspect_ratio: "anyres_max_four" is not "anyres" or "anyres_max_N"/,
    );
    const drop = { tensors: (t: Map<string, unknown>) => (t.delete('model.image_newline'), t) } as never;
    refused(
      checkpoint(() => makeLladaVCheckpoint(drop)),
      /missing tensor "image_newline" \(LLaVA's newline row/,
    );
    const wide = {
      tensors: (t: Map<string, unknown>) =>
        t.set('model.image_newline', { dtype: 'F32', shape: [32], data: new Float32Array(32) }),
    } as never;
    refused(
      checkpoint(() => makeLladaVCheckpoint(wide)),
      /tensor "model\.image_newline" is \[32\]; the newline row must be \[64\]/,
    );
  });

  it('takes a Dimple config for Dimple (convert-dimple.test.ts), naming what its language model lacks', () => {
    refused(
      checkpoint(() => makeLladaVCheckpoint({ config: () => ({ model_type: 'dimple', vision_config: {} }) })),
      /config\.json \(Dimple's language model\): hidden_size: /,
    );
  });

  it('needs preprocessor_config.json of the right kind and size', () => {
    const small = checkpoint(() => makeLladaVCheckpoint());
    writeFileSync(
      join(small, 'preprocessor_config.json'),
      JSON.stringify({
        ...json(join(SIGLIP_FIXTURE, 'processor/preprocessor_config.json')),
        size: { height: 32, width: 32 },
      }),
    );
    refused(
      small,
      /preprocessor_config\.json: size is \{"height":32,"width":32\}, but the vision tower takes 64 × 64 images/,
    );
    const from = checkpoint(() => makeLladaVCheckpoint());
    renameSync(join(from, 'preprocessor_config.json'), join(from, 'processor.json'));
    refused(
      from,
      /preprocessor_config\.json: the checkpoint has no preprocessor_config\.json \(the SigLIP image processor settings\)/,
    );
    const other = checkpoint(() => makeDiffaCheckpoint());
    copyFileSync(join(SIGLIP_FIXTURE, 'processor/preprocessor_config.json'), join(other, 'preprocessor_config.json'));
    refused(
      other,
      /preprocessor_config\.json: is a SiglipImageProcessor config; DIFFA's audio needs a WhisperFeatureExtractor config/,
    );
  });

  it('converts DIFFA from pytorch_model.bin shards (as DIFFA ships its weights) into the same bundle as from model.safetensors (every graph and file byte for byte, the manifest but for its name)', () => {
    const fromSafetensors = checkpoint(() => makeDiffaCheckpoint());
    const fromTorch = checkpoint(() => makeDiffaCheckpoint());
    safetensorsToTorch(fromTorch, 2);
    assert.equal(existsSync(join(fromTorch, 'model.safetensors')), false);
    assert.equal(existsSync(join(fromTorch, 'pytorch_model.bin.index.json')), true);
    const a = join(work, 'diffa-from-safetensors');
    const b = join(work, 'diffa-from-bin');
    convertModel({ from: fromSafetensors, to: a });
    convertModel({ from: fromTorch, to: b });
    const files = (dir: string) =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => relative(dir, join(e.parentPath, e.name)))
        .sort();
    assert.deepEqual(files(b), files(a));
    assert.ok(
      files(a).some((f) => f.endsWith('.onnx')),
      'the bundle has graphs',
    );
    for (const file of files(a).filter((f) => f !== 'manifest.json'))
      assert.ok(readFileSync(join(a, file)).equals(readFileSync(join(b, file))), `${file} is the same`);
    // The manifest differs only in the name taken from the checkpoint folder's name.
    const unnamed = (dir: string) =>
      JSON.stringify({ ...json(join(dir, 'manifest.json')), name: undefined, description: undefined });
    assert.equal(unnamed(b), unnamed(a));
  });

  it('refuses a pickle that would run code (a global other than a state dict needs) and writes nothing', () => {
    const from = checkpoint(() => makeDiffaCheckpoint());
    rmSync(join(from, 'model.safetensors'));
    copyFileSync(join(TORCH_FIXTURES, 'malicious.bin'), join(from, 'pytorch_model.bin'));
    refused(
      from,
      /pytorch_model\.bin \(malicious\/data\.pkl\): the pickle refers to the global posix\.system, .*executes nothing/,
    );
  });

  /**
   * Two DIFFA bundles are the same: every file byte for byte, the manifest but for its name, except
   * the LM and encoder graphs, whose initializers are named after the checkpoint's tensors
   * (llm_model.… / whisper_model.model.encoder.… in the merged folder): those compute the same.
   */
  const sameBundle = async (a: string, b: string) => {
    const files = (dir: string) =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => relative(dir, join(e.parentPath, e.name)))
        .sort();
    assert.deepEqual(files(b), files(a));
    const named = ['manifest.json', 'lm.onnx', 'embed.onnx', 'audio_encoder.onnx'];
    for (const file of files(a).filter((f) => !named.includes(f)))
      assert.ok(readFileSync(join(a, file)).equals(readFileSync(join(b, file))), `${file} is the same`);
    const unnamed = (dir: string) =>
      JSON.stringify({ ...json(join(dir, 'manifest.json')), name: undefined, description: undefined });
    assert.equal(unnamed(b), unnamed(a));
    const options = { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } };
    const [x, y] = [await loadBundle(a, options), await loadBundle(b, options)];
    try {
      const ids = [1, 5, 9, 2, 7, 3, 3, 8];
      const row = { inputIds: ids, positionIds: ids.map((_, i) => i), logitsIndices: ids.map((_, i) => i) };
      const [[lx], [ly]] = [await x.model.forward([row]), await y.model.forward([row])];
      assert.deepEqual(Array.from(ly!.logits), Array.from(lx!.logits), 'the language models compute the same');
      const input = {
        input_features: {
          type: 'float32' as const,
          dims: [1, 80, 3000],
          data: Float32Array.from({ length: 80 * 3000 }, (_, i) => Math.sin(i * 0.37)),
        },
      };
      const run = async (bundle: typeof x) => {
        const session = await bundle.openGraph(bundle.manifest.audio!.encoder);
        try {
          return await session.run(input);
        } finally {
          await session.release();
        }
      };
      const [ex, ey] = [await run(x), await run(y)];
      for (const name of Object.keys(ex))
        assert.deepEqual(Array.from(ey[name]!.data as Float32Array), Array.from(ex[name]!.data as Float32Array), name);
    } finally {
      await x.close();
      await y.close();
    }
  };

  it('converts DIFFA as it ships (DIFFA, LLaDA-8B-Instruct and whisper-small folders; --lm / --whisper) into the bundle of the hand-merged folder, leaving trainable_prompts and the frozen Whisper copy out with the reason', async () => {
    const parent = checkpoint(() => mkdtempSync(join(tmpdir(), 'unmask-diffa-shipped-')));
    const dirs = makeDiffaFolders(parent, { whisperCopy: true });
    const merged = checkpoint(() => makeDiffaCheckpoint());
    const a = join(work, 'diffa-merged');
    const b = join(work, 'diffa-three-folders');
    convertModel({ from: merged, to: a });
    const result = convertModel({ from: dirs.diffa, to: b, lm: dirs.lm, whisper: dirs.whisper });
    await sameBundle(a, b);
    assert.equal(json(join(b, 'manifest.json')).name, DIFFA_FOLDERS.diffa, 'named after the DIFFA folder');
    assert.ok(result.notes.some((n) => n.startsWith(`language model and tokenizer from ${dirs.lm};`)));
    assert.ok(result.notes.some((n) => /^trainable_prompts\.\* left out: .*stage 1/.test(n)));
    assert.ok(result.notes.some((n) => n.startsWith('whisper_model.* left out: replaced by the Whisper encoder of')));
  });

  it('finds the LLaDA and Whisper folders beside the DIFFA folder, and asks for --lm / --whisper when it cannot tell', async () => {
    const parent = checkpoint(() => mkdtempSync(join(tmpdir(), 'unmask-diffa-beside-')));
    const dirs = makeDiffaFolders(parent);
    const merged = checkpoint(() => makeDiffaCheckpoint());
    const a = join(work, 'diffa-merged-2');
    const b = join(work, 'diffa-beside');
    convertModel({ from: merged, to: a });
    convertModel({ from: dirs.diffa, to: b });
    await sameBundle(a, b);
    const lonely = checkpoint(() => mkdtempSync(join(tmpdir(), 'unmask-diffa-alone-')));
    const only = makeDiffaFolders(lonely);
    rmSync(only.lm, { recursive: true });
    refused(
      only.diffa,
      /the DIFFA checkpoint holds no LLaDA language model and no folder beside it has one: give --lm DIR/,
    );
    cpSync(only.whisper, join(lonely, 'whisper-other'), { recursive: true });
    assert.throws(
      () => convertModel({ from: only.diffa, to: join(work, 'diffa-two'), lm: join(parent, DIFFA_FOLDERS.lm) }),
      /several folders beside the DIFFA checkpoint hold a Whisper model \(.*\): choose one with --whisper DIR/,
    );
  });

  it('refuses a --lm that is not LLaDA or not DIFFA’s width, a --whisper that is not Whisper, and an unknown tensor in the DIFFA folder', () => {
    const parent = checkpoint(() => mkdtempSync(join(tmpdir(), 'unmask-diffa-bad-')));
    const dirs = makeDiffaFolders(parent);
    const to = join(work, 'diffa-bad');
    assert.throws(
      () => convertModel({ from: dirs.diffa, to, lm: dirs.whisper }),
      /config\.json is not a LLaDA model's/,
    );
    assert.throws(
      () => convertModel({ from: dirs.diffa, to, whisper: dirs.lm }),
      /config\.json is not a Whisper model's/,
    );
    const config = json(join(dirs.lm, 'config.json'));
    writeFileSync(join(dirs.lm, 'config.json'), JSON.stringify({ ...config, d_model: 128, n_heads: 4 }));
    assert.throws(() => convertModel({ from: dirs.diffa, to }), /is 128 wide, DIFFA's adapters project to 64/);
    writeFileSync(join(dirs.lm, 'config.json'), JSON.stringify(config));
    const tensors = CheckpointTensors.open(dirs.diffa);
    const stored = new Map(
      [...tensors.tensors.values()].map((t) => [
        t.name,
        { dtype: 'F32' as const, shape: t.shape, data: tensors.readFloat32(t.name) },
      ]),
    );
    stored.set('stage3_head.weight', { dtype: 'F32', shape: [2], data: new Float32Array(2) });
    writeTorchCheckpoint(join(dirs.diffa, 'pytorch_model.bin'), stored);
    assert.throws(() => convertModel({ from: dirs.diffa, to }), /\(DIFFA\): unexpected tensor "stage3_head\.weight"/);
    assert.equal(existsSync(to), false, 'nothing is written');
  });

  it('builds DIFFA’s prompt as upstream: its system prompt, “This is the audio:” then the audio rows, then the literal " <audio>. " and the question', async () => {
    const parent = checkpoint(() => mkdtempSync(join(tmpdir(), 'unmask-diffa-prompt-')));
    const dirs = makeDiffaFolders(parent);
    const to = join(work, 'diffa-prompt');
    convertModel({ from: dirs.diffa, to });
    const bundle = await loadBundle(to, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
    try {
      const text = bundle.chatTemplate.render(
        [{ role: 'user', content: [{ type: 'audio' }, { type: 'text', text: 'what is said?' }] }],
        { variables: { bos_token: '<s>' } },
      );
      assert.match(text, /You are a helpful voice assistant\./);
      assert.ok(text.includes('This is the audio:<|diffa_audio|> <audio>. what is said?'), text);
      const ids = bundle.tokenizer.encode(text);
      const placeholder = bundle.specialTokens.audio!.id;
      assert.equal(ids.filter((id) => id === placeholder).length, 1, 'one placeholder: the literal <audio> stays text');
    } finally {
      await bundle.close();
    }
  });
});
