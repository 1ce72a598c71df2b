/**
 * A bundle's tokenizer: a Hugging Face `tokenizer.json` run by @huggingface/tokenizers.
 */
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { UnmaskError } from '../errors.js';

export interface EncodeOptions {
  /** Add the tokenizer's own special tokens (BOS, …) per its post-processor. Default false: chat templates write them. */
  readonly addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens (mask, EOS, role markers) from the text. Default false. */
  readonly skipSpecialTokens?: boolean;
  /**
   * Hugging Face's `clean_up_tokenization_spaces` (" ," → "," and the like over the whole text).
   * Default: the tokenizer's own setting. Constrained answers turn it off: their text is exactly
   * the tokens' concatenation (decoding/constraints/token-surfaces.ts).
   */
  readonly cleanUpSpaces?: boolean;
}

/** What the constraint machinery reads of `tokenizer.json` besides the tokens themselves. */
export interface TokenizerLayout {
  /** The `decoder` object (null when absent). */
  readonly decoder: unknown;
  /** The model's type (`BPE`, `WordLevel`, `WordPiece`, `Unigram`) and `end_of_word_suffix`, if any. */
  readonly model: { readonly type?: unknown; readonly end_of_word_suffix?: unknown };
  /** Added tokens: ids, contents and whether they are special. */
  readonly addedTokens: readonly { readonly id: number; readonly content: string; readonly special: boolean }[];
}

export class TextTokenizer {
  private readonly vocab: ReadonlyMap<string, number>;
  /** One more than the largest token id the tokenizer can produce. */
  readonly size: number;

  private constructor(
    private readonly tokenizer: Tokenizer,
    /** The file it came from, for messages. */
    readonly path: string,
    /** The decoder, model type and added tokens of tokenizer.json. */
    readonly layout: TokenizerLayout,
  ) {
    this.vocab = tokenizer.get_vocab(true);
    let largest = -1;
    for (const id of this.vocab.values()) largest = Math.max(largest, id);
    this.size = largest + 1;
  }

  /** Reads `tokenizer.json` (and optionally `tokenizer_config.json`); errors name the file. */
  static fromFile(path: string, configPath?: string): TextTokenizer {
    const readJson = (file: string): object => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new UnmaskError(
          'invalid_bundle',
          `${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
          file,
        );
      }
      try {
        const value: unknown = JSON.parse(text);
        if (typeof value !== 'object' || value === null) throw new Error('not a JSON object');
        return value;
      } catch (error) {
        throw new UnmaskError('invalid_bundle', `${file}: not valid JSON (${(error as Error).message})`, file);
      }
    };
    const json = readJson(path);
    // @huggingface/tokenizers runs WordLevel models through its legacy path, which takes the
    // unknown token from the config rather than from tokenizer.json's model: hand it over.
    const modelUnk = (json as { model?: { unk_token?: unknown } }).model?.unk_token;
    const config = {
      ...(typeof modelUnk === 'string' ? { unk_token: modelUnk } : {}),
      ...(configPath ? readJson(configPath) : {}),
    };
    const raw = json as { decoder?: unknown; model?: Record<string, unknown>; added_tokens?: unknown };
    const added = Array.isArray(raw.added_tokens) ? raw.added_tokens : [];
    const layout: TokenizerLayout = {
      decoder: raw.decoder ?? null,
      model: { type: raw.model?.type, end_of_word_suffix: raw.model?.end_of_word_suffix },
      addedTokens: added
        .filter(
          (t): t is { id: number; content: string; special?: unknown } =>
            typeof t?.id === 'number' && typeof t?.content === 'string',
        )
        .map((t) => ({ id: t.id, content: t.content, special: t.special === true })),
    };
    try {
      return new TextTokenizer(new Tokenizer(json, config), path, layout);
    } catch (error) {
      throw new UnmaskError(
        'invalid_bundle',
        `${path}: not a tokenizer the runtime can load (${(error as Error).message})`,
        path,
        { cause: error },
      );
    }
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const { ids, tokens } = this.tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? false });
    const missing = ids.findIndex((id: number | undefined) => typeof id !== 'number');
    if (missing >= 0) {
      throw new UnmaskError(
        'invalid_parameter',
        `${this.path}: token ${JSON.stringify(tokens[missing])} has no id and the tokenizer has no unknown token`,
        'text',
      );
    }
    return ids;
  }

  /** The token strings of `text`, for debugging and tests. */
  tokenize(text: string, options: EncodeOptions = {}): string[] {
    return this.tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? false }).tokens;
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    // @huggingface/tokenizers throws on an empty list; an empty answer (all EOS) decodes to ''.
    if (ids.length === 0) return '';
    return this.tokenizer.decode(Array.from(ids), {
      skip_special_tokens: options.skipSpecialTokens ?? false,
      ...(options.cleanUpSpaces !== undefined ? { clean_up_tokenization_spaces: options.cleanUpSpaces } : {}),
    });
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokenizer.id_to_token(id);
  }
}
