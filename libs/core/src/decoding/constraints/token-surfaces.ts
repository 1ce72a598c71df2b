/**
 * What each token adds to the decoded text, as bytes: `rest` when it follows another token,
 * `first` when it opens the answer (WordPiece puts no space before the first word, Metaspace and
 * Llama-style sequences strip the first token's leading space). The constraint walks these
 * bytes through its automaton, so they must concatenate to exactly what the tokenizer decodes
 * (with `cleanUpSpaces: false`). They follow @huggingface/tokenizers' decoders — ByteLevel,
 * WordPiece (with its per-token cleanup), Metaspace, Replace, ByteFallback, Fuse, Strip, and
 * none (tokens joined by spaces); `checkSurfaces` then proves the result on token triples
 * decoded by the tokenizer itself. Added tokens (role markers, EOS, …) get no surface: a
 * constrained answer never contains them.
 */
import { UnmaskError } from '../../errors.js';
import type { TextTokenizer } from '../../tokenizer/text-tokenizer.js';

export interface TokenSurfaces {
  /** Bytes of each token id after another token; null for tokens a constrained answer never holds. */
  readonly rest: readonly (Uint8Array | null)[];
  /** Bytes of each token id as the answer's first token. */
  readonly first: readonly (Uint8Array | null)[];
  /** Whether some token's first form differs from its rest form. */
  readonly firstDiffers: boolean;
}

const utf8 = new TextEncoder();

/** GPT-2's byte ↔ printable-character table, as ByteLevel uses it: character → byte. */
const BYTE_OF_CHAR: ReadonlyMap<string, number> = (() => {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (printable.includes(b)) map.set(String.fromCharCode(b), b);
    else map.set(String.fromCharCode(256 + extra++), b);
  }
  return map;
})();

/** The cleanup WordPiece applies to each token (mirrors the tokenizer library's rules). */
function wordPieceCleanup(text: string): string {
  return text
    .replace(/ \./g, '.')
    .replace(/ \?/g, '?')
    .replace(/ !/g, '!')
    .replace(/ ,/g, ',')
    .replace(/ ' /g, "'")
    .replace(/ n't/g, "n't")
    .replace(/ 'm/g, "'m")
    .replace(/ 's/g, "'s")
    .replace(/ 've/g, "'ve")
    .replace(/ 're/g, "'re");
}

/** One token on its way through the decoders: text, or raw bytes once ByteLevel / ByteFallback ran. */
type Piece = { text: string } | { bytes: Uint8Array };

const unsupported = (path: string, what: string) =>
  new UnmaskError(
    'invalid_parameter',
    `${path}: constrained decoding does not support this tokenizer (${what})`,
    'response_format',
  );

type Step = (piece: Piece, first: boolean) => Piece;

function stepsOf(decoder: unknown, path: string): { steps: Step[]; fused: boolean } {
  if (decoder === null || decoder === undefined) {
    // No decoder: the library joins tokens with spaces.
    return { steps: [(p, first) => ('text' in p && !first ? { text: ` ${p.text}` } : p)], fused: false };
  }
  const d = decoder as Record<string, unknown>;
  switch (d.type) {
    case 'ByteLevel':
      return {
        steps: [
          (p) => {
            if (!('text' in p)) return p;
            const bytes: number[] = [];
            for (const ch of p.text) {
              const b = BYTE_OF_CHAR.get(ch);
              if (b === undefined) return { bytes: utf8.encode(p.text) }; // not byte-level text: kept as is
              bytes.push(b);
            }
            return { bytes: Uint8Array.from(bytes) };
          },
        ],
        // The library's ByteLevel decoder joins every token's bytes into one text: a Strip after it
        // touches the answer's first token only.
        fused: true,
      };
    case 'WordPiece': {
      const prefix = typeof d.prefix === 'string' ? d.prefix : '##';
      const cleanup = d.cleanup === true;
      return {
        steps: [
          (p, first) => {
            if (!('text' in p)) return p;
            let t = p.text;
            if (!first) t = prefix && t.startsWith(prefix) ? t.replace(prefix, '') : ` ${t}`;
            return { text: cleanup ? wordPieceCleanup(t) : t };
          },
        ],
        fused: false,
      };
    }
    case 'Metaspace': {
      const replacement = typeof d.replacement === 'string' ? d.replacement : '\u2581';
      return {
        steps: [
          (p, first) => {
            if (!('text' in p)) return p;
            let t = p.text.replaceAll(replacement, ' ');
            if (first && t.startsWith(' ')) t = t.slice(1);
            return { text: t };
          },
        ],
        fused: false,
      };
    }
    case 'Replace': {
      const pattern = d.pattern as { String?: unknown; Regex?: unknown } | undefined;
      const content = typeof d.content === 'string' ? d.content : '';
      if (typeof pattern?.String !== 'string') throw unsupported(path, 'a Replace decoder with a regex pattern');
      const from = pattern.String;
      return { steps: [(p) => ('text' in p ? { text: p.text.replaceAll(from, content) } : p)], fused: false };
    }
    case 'ByteFallback':
      return {
        steps: [
          (p) => {
            if (!('text' in p)) return p;
            const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(p.text);
            return m ? { bytes: Uint8Array.of(Number.parseInt(m[1] as string, 16)) } : p;
          },
        ],
        fused: false,
      };
    case 'Fuse':
      return { steps: [], fused: true };
    case 'Strip': {
      const content = typeof d.content === 'string' ? d.content : '';
      const start = typeof d.start === 'number' ? d.start : 0;
      const stop = typeof d.stop === 'number' ? d.stop : 0;
      if (stop > 0) throw unsupported(path, 'a Strip decoder that strips the end of the text');
      // After Fuse the whole text is one piece: only the first token loses its leading characters.
      return {
        steps: [
          (p, first) => {
            if (!first && start > 0) return p;
            let cut = 0;
            if ('text' in p) {
              while (cut < start && p.text[cut] === content) cut++;
              return { text: p.text.slice(cut) };
            }
            while (cut < start && cut < p.bytes.length && p.bytes[cut] === content.charCodeAt(0)) cut++;
            return { bytes: p.bytes.subarray(cut) };
          },
        ],
        fused: false,
      };
    }
    case 'Sequence': {
      const list = Array.isArray(d.decoders) ? d.decoders : [];
      const steps: Step[] = [];
      let fused = false;
      for (const inner of list) {
        const part = stepsOf(inner, path);
        const innerType = (inner as { type?: unknown }).type;
        // A Strip after Fuse touches the first token only (handled by `first`); before Fuse it
        // would strip every token's start.
        if (innerType === 'Strip' && !fused) {
          const content = (inner as { content?: string }).content ?? '';
          const start = (inner as { start?: number }).start ?? 0;
          steps.push((p) => {
            if (!('text' in p)) return p;
            let cut = 0;
            while (cut < start && p.text[cut] === content) cut++;
            return { text: p.text.slice(cut) };
          });
        } else steps.push(...part.steps);
        fused ||= part.fused;
      }
      return { steps, fused };
    }
    default:
      throw unsupported(path, `its ${String(d.type)} decoder`);
  }
}

function bytesOf(piece: Piece): Uint8Array {
  return 'bytes' in piece ? piece.bytes : utf8.encode(piece.text);
}

/**
 * The surfaces of every token of `tokenizer` below `limit` (the ids a model writes; ids above are
 * input only), with the ids in `exclude` (EOS, padding, mask) and every added token left out.
 */
export function tokenSurfaces(
  tokenizer: TextTokenizer,
  exclude: Iterable<number> = [],
  limit: number = tokenizer.size,
): TokenSurfaces {
  const { layout } = tokenizer;
  if (typeof layout.model.end_of_word_suffix === 'string' && layout.model.end_of_word_suffix !== '') {
    throw unsupported(tokenizer.path, 'an end-of-word suffix');
  }
  const { steps } = stepsOf(layout.decoder, tokenizer.path);
  const excluded = new Set<number>(exclude);
  for (const t of layout.addedTokens) excluded.add(t.id);
  const rest: (Uint8Array | null)[] = [];
  const first: (Uint8Array | null)[] = [];
  let firstDiffers = false;
  for (let id = 0; id < Math.min(limit, tokenizer.size); id++) {
    const token = excluded.has(id) ? undefined : tokenizer.idToToken(id);
    if (token === undefined) {
      rest.push(null);
      first.push(null);
      continue;
    }
    const run = (isFirst: boolean) => bytesOf(steps.reduce<Piece>((p, step) => step(p, isFirst), { text: token }));
    const r = run(false);
    const f = run(true);
    // An empty surface would let a position hold "nothing": not a token a constraint can use.
    rest.push(r.length > 0 ? r : null);
    first.push(f.length > 0 ? f : null);
    if (!firstDiffers && (r.length !== f.length || r.some((b, i) => b !== f[i]))) firstDiffers = true;
  }
  return { rest, first, firstDiffers };
}

/**
 * Proves the surfaces against the tokenizer: for `samples` pseudo-random token triples whose
 * concatenation is valid UTF-8, decoding the ids gives the surfaces' text. Throws when not.
 */
export function checkSurfaces(tokenizer: TextTokenizer, surfaces: TokenSurfaces, samples = 300): void {
  const usable: number[] = [];
  surfaces.rest.forEach((s, id) => {
    if (s !== null && surfaces.first[id] !== null) usable.push(id);
  });
  if (usable.length === 0) throw unsupported(tokenizer.path, 'no token has a surface');
  const strict = new TextDecoder('utf-8', { fatal: true });
  let seed = 12345;
  const pick = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return usable[seed % usable.length] as number;
  };
  for (let n = 0; n < samples; n++) {
    const ids = [pick(), pick(), pick()];
    const parts = ids.map((id, i) => (i === 0 ? surfaces.first[id] : surfaces.rest[id]) as Uint8Array);
    const joined = new Uint8Array(parts.reduce((k, p) => k + p.length, 0));
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    let expected: string;
    try {
      expected = strict.decode(joined);
    } catch {
      continue; // partial UTF-8 sequences: the tokenizer writes U+FFFD, compared elsewhere
    }
    const actual = tokenizer.decode(ids, { cleanUpSpaces: false });
    if (actual !== expected) {
      throw unsupported(
        tokenizer.path,
        `decoding is not token by token: ${JSON.stringify(ids)} decodes to ${JSON.stringify(actual)}, the surfaces give ${JSON.stringify(expected)}`,
      );
    }
  }
}
