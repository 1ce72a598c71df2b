/**
 * Loads and validates a model bundle folder (docs/bundle-format.md): the manifest, the
 * tokenizer, the chat template, the special tokens against tokenizer and vocabulary, and the LM
 * graphs against the LM graph contract (from onnxruntime session metadata). Every failure is
 * an `invalid_bundle` error naming the file and the field.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { UnmaskError } from '../errors.js';
import type { ModelInfo } from '../model/language-model.js';
import { type KeyValueOutputs, OnnxLanguageModel } from '../model/onnx-language-model.js';
import type { OnnxSession } from '../runtime/onnx-session.js';
import type { SessionOptions } from '../runtime/session-options.js';
import { type CreateSessionOptions, OnnxWorkerPool } from '../runtime/worker-pool.js';
import { ChatTemplate } from '../tokenizer/chat-template.js';
import { TextTokenizer } from '../tokenizer/text-tokenizer.js';
import { constraintPattern } from '../decoding/constraints/token-constraint.js';
import type { DecodingDefaults } from '../decoding/decoding-defaults.js';
import { resolveDecodingSection } from './decoding-section.js';
import { checkGraphIO, embedGraphContract, lmGraphContract } from './graph-contract.js';
import { MANIFEST_FORMATS, type Manifest, type TokenRef, manifestSchema } from './manifest.js';

export interface LoadBundleOptions {
  /** Pool to load the graphs into; by default the bundle makes its own and closes it on `close()`. */
  readonly pool?: OnnxWorkerPool;
  /** Size of the bundle's own pool (when `pool` is not given). */
  readonly poolSize?: number;
  /** Options of the bundle's sessions. */
  readonly sessionOptions?: SessionOptions;
  /**
   * When the LM graph's key/value outputs are loaded (`OnnxLanguageModelOptions.keyValueOutputs`):
   * by default from the start when the bundle decodes with a cache by default, else on demand.
   */
  readonly keyValueOutputs?: KeyValueOutputs;
}

/** A bundle that decodes with a cache by default keeps one from its first request. */
function keyValueOutputsFor(defaults: DecodingDefaults | undefined): KeyValueOutputs {
  return defaults?.cache === undefined || defaults.cache === 'none' ? 'on-demand' : 'always';
}

export interface ResolvedToken {
  readonly id: number;
  /** The token string, when the tokenizer has one for the id. */
  readonly token?: string;
}

export interface SpecialTokens {
  readonly mask: ResolvedToken;
  readonly eos: ResolvedToken;
  readonly pad: ResolvedToken;
  readonly bos?: ResolvedToken;
  readonly image?: ResolvedToken;
  readonly audio?: ResolvedToken;
}

export interface Bundle {
  /** Absolute path of the bundle folder. */
  readonly dir: string;
  readonly manifest: Manifest;
  readonly info: ModelInfo;
  readonly tokenizer: TextTokenizer;
  readonly chatTemplate: ChatTemplate;
  readonly specialTokens: SpecialTokens;
  /** The family's decoding defaults (the manifest's `decoding` section), when it has one. */
  readonly decodingDefaults?: DecodingDefaults;
  readonly model: OnnxLanguageModel;
  readonly pool: OnnxWorkerPool;
  /** Absolute path of a file named in the manifest. */
  resolve(file: string): string;
  /** Loads another graph of the bundle (vision, audio) into the same pool. */
  openGraph(file: string, options?: CreateSessionOptions): Promise<OnnxSession>;
  /** Resolves a token of the vision/audio sections the same way as the special tokens. */
  resolveToken(ref: TokenRef, field: string): ResolvedToken;
  close(): Promise<void>;
}

const MANIFEST = 'manifest.json';

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

function bad(file: string, field: string | undefined, message: string): UnmaskError {
  return new UnmaskError(
    'invalid_bundle',
    `${file}${field ? `: ${field}` : ''}: ${message}`,
    field ? `${file}:${field}` : file,
  );
}

/** Reads and validates manifest.json (no other file). */
export function readManifest(dir: string): Manifest {
  const file = join(dir, MANIFEST);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw bad(
      file,
      undefined,
      code === 'ENOENT'
        ? 'the bundle has no manifest'
        : code
          ? `cannot read (${code})`
          : `not valid JSON (${(error as Error).message})`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw bad(file, undefined, 'must be a JSON object');
  const format = (raw as { format?: unknown }).format;
  if (format === undefined)
    throw bad(file, 'format', `missing; this runtime reads format ${MANIFEST_FORMATS.join(', ')}`);
  if (!(MANIFEST_FORMATS as readonly unknown[]).includes(format)) {
    throw bad(
      file,
      'format',
      `unknown format version ${JSON.stringify(format)}; this runtime reads format ${MANIFEST_FORMATS.join(', ')}`,
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw bad(file, formatPath(issue.path) || undefined, issue.message);
  }
  const jsonAnswer = parsed.data.generation?.json_answer;
  if (jsonAnswer) {
    // The schema compiles now (a keyword constrained decoding cannot express fails the load, not a request).
    try {
      constraintPattern({ type: 'json_schema', schema: jsonAnswer.schema }, 'schema');
    } catch (error) {
      throw bad(file, 'generation.json_answer.schema', (error as Error).message.replace(/^schema: /, ''));
    }
  }
  return parsed.data;
}

export async function loadBundle(dir: string, options: LoadBundleOptions = {}): Promise<Bundle> {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new UnmaskError('invalid_bundle', `${root}: the bundle folder does not exist`, root);
  }
  const manifestFile = join(root, MANIFEST);
  const manifest = readManifest(root);
  const fileOf = (relative: string, field: string): string => {
    const path = join(root, relative);
    if (!existsSync(path) || !statSync(path).isFile())
      throw bad(manifestFile, field, `file "${relative}" does not exist in ${root}`);
    return path;
  };
  const files = {
    tokenizer: fileOf(manifest.tokenizer, 'tokenizer'),
    tokenizerConfig: manifest.tokenizer_config ? fileOf(manifest.tokenizer_config, 'tokenizer_config') : undefined,
    chatTemplate: fileOf(manifest.chat_template, 'chat_template'),
    embed: fileOf(manifest.lm.embed_graph, 'lm.embed_graph'),
    lm: fileOf(manifest.lm.graph, 'lm.graph'),
  };
  if (manifest.vision) {
    fileOf(manifest.vision.graph, 'vision.graph');
    if (manifest.vision.projector) fileOf(manifest.vision.projector, 'vision.projector');
  }
  if (manifest.audio) {
    fileOf(manifest.audio.encoder, 'audio.encoder');
    fileOf(manifest.audio.adapter, 'audio.adapter');
  }

  const { sizes } = manifest;
  const tokenizer = TextTokenizer.fromFile(files.tokenizer, files.tokenizerConfig);
  const readable = sizes.input_vocab_size ?? sizes.vocab_size;
  if (tokenizer.size > readable) {
    const field = sizes.input_vocab_size === undefined ? 'sizes.vocab_size' : 'sizes.input_vocab_size';
    throw bad(
      manifestFile,
      field,
      `is ${readable}, but ${manifest.tokenizer} has token ids up to ${tokenizer.size - 1}`,
    );
  }
  const chatTemplate = ChatTemplate.fromFile(files.chatTemplate);

  const resolveToken = (ref: TokenRef, field: string): ResolvedToken => {
    const where = (message: string) => bad(manifestFile, field, message);
    const byToken = (token: string): number => {
      const id = tokenizer.tokenToId(token);
      if (id === undefined) throw where(`token ${JSON.stringify(token)} is not in ${manifest.tokenizer}`);
      return id;
    };
    let id: number;
    if (typeof ref === 'string') id = byToken(ref);
    else if (typeof ref === 'number') id = ref;
    else {
      id = ref.id;
      const actual = byToken(ref.token);
      if (actual !== ref.id)
        throw where(`token ${JSON.stringify(ref.token)} has id ${actual} in ${manifest.tokenizer}, not ${ref.id}`);
    }
    if (id >= sizes.vocab_size) throw where(`token id ${id} is outside the vocabulary [0, ${sizes.vocab_size})`);
    const token = tokenizer.idToToken(id);
    return token === undefined ? { id } : { id, token };
  };
  const st = manifest.special_tokens;
  const optionalToken = (ref: TokenRef | undefined, field: string) =>
    ref === undefined ? {} : { [field]: resolveToken(ref, `special_tokens.${field}`) };
  const specialTokens: SpecialTokens = {
    mask: resolveToken(st.mask, 'special_tokens.mask'),
    eos: resolveToken(st.eos, 'special_tokens.eos'),
    pad: resolveToken(st.pad, 'special_tokens.pad'),
    ...optionalToken(st.bos, 'bos'),
    ...optionalToken(st.image, 'image'),
    ...optionalToken(st.audio, 'audio'),
  };
  const sectionPlaceholder = (section: 'vision' | 'audio', special: ResolvedToken | undefined) => {
    const ref = manifest[section]?.placeholder;
    if (ref === undefined) return;
    const resolved = resolveToken(ref, `${section}.placeholder`);
    if (special && special.id !== resolved.id) {
      throw bad(
        manifestFile,
        `${section}.placeholder`,
        `is token id ${resolved.id}, but special_tokens.${section === 'vision' ? 'image' : 'audio'} is ${special.id}`,
      );
    }
  };
  sectionPlaceholder('vision', specialTokens.image);
  sectionPlaceholder('audio', specialTokens.audio);
  const decodingDefaults = manifest.decoding
    ? resolveDecodingSection(manifest.decoding, resolveToken, manifestFile)
    : undefined;

  const info: ModelInfo = {
    vocabSize: sizes.vocab_size,
    ...(sizes.input_vocab_size === undefined ? {} : { inputVocabSize: sizes.input_vocab_size }),
    hiddenSize: sizes.hidden_size,
    maxPositions: sizes.max_positions,
    maskTokenId: specialTokens.mask.id,
    eosTokenId: specialTokens.eos.id,
    padTokenId: specialTokens.pad.id,
    shiftedLogits: manifest.lm.shifted_logits,
  };

  const ownPool = options.pool === undefined;
  const pool =
    options.pool ??
    new OnnxWorkerPool({
      ...(options.poolSize === undefined ? {} : { size: options.poolSize }),
      ...(options.sessionOptions ? { sessionOptions: options.sessionOptions } : {}),
    });
  let model: OnnxLanguageModel | undefined;
  try {
    model = await OnnxLanguageModel.create({
      pool,
      embedGraph: files.embed,
      lmGraph: files.lm,
      info,
      geometry: {
        numLayers: sizes.num_layers,
        numKeyValueHeads: sizes.num_key_value_heads,
        headDim: sizes.head_dim,
        mrope: manifest.lm.position_ids === 'mrope',
      },
      ...(options.sessionOptions ? { sessionOptions: options.sessionOptions } : {}),
      keyValueOutputs: options.keyValueOutputs ?? keyValueOutputsFor(decodingDefaults),
    });
    checkGraphIO(files.embed, model.embedSession, embedGraphContract(sizes));
    // The key/value outputs the session was loaded without are checked as the file declares them.
    const lm = model.lmSession;
    checkGraphIO(
      files.lm,
      { inputs: lm.inputs, outputs: [...lm.outputs, ...lm.dropped] },
      lmGraphContract(sizes, manifest.lm.position_ids),
    );
  } catch (error) {
    await model?.close();
    if (ownPool) await pool.close();
    throw error;
  }
  const loaded = model;
  const absolute = (file: string) => (isAbsolute(file) ? file : join(root, file));
  return {
    dir: root,
    manifest,
    info,
    tokenizer,
    chatTemplate,
    specialTokens,
    ...(decodingDefaults ? { decodingDefaults } : {}),
    model: loaded,
    pool,
    resolve: absolute,
    openGraph: (file, sessionOptions) =>
      pool.createSession(absolute(file), { ...options.sessionOptions, ...sessionOptions }),
    resolveToken,
    async close() {
      await loaded.close();
      if (ownPool) await pool.close();
    },
  };
}
