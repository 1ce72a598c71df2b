/**
 * What people put around a question: an opening (`please`, `hey,`, `can you tell me` before an
 * embedded clause), a reference to the medium (`in the picture`), a closing (`please`, `thanks`),
 * contractions (`what's`), capitals and end punctuation. Openings, media references and closings
 * come in a trained set and a held-out set; contractions, capitals and punctuation are used in both.
 */
import type { Rng } from '../rng.js';
import type { FrameKind } from './shapes.js';
import { tidy } from './template.js';

export type Split = 'train' | 'heldout';

export interface Decorations {
  /** Before a direct question. */
  readonly question: readonly string[];
  /** Before an embedded clause (required: `what color the circle is` needs one). */
  readonly embedded: readonly string[];
  /** Before an imperative. */
  readonly imperative: readonly string[];
  /** After a shapes question that does not name the image yet. */
  readonly imageContext: readonly string[];
  /** At the end. */
  readonly closing: readonly string[];
}

export const DECORATIONS: Readonly<Record<Split, Decorations>> = {
  train: {
    question: ['please', 'hey', 'hi', 'hello', 'ok', 'so', 'quick question', 'question', 'excuse me', 'tell me', 'um'],
    embedded: [
      'can you tell me',
      'could you tell me',
      'tell me',
      'please tell me',
      'do you know',
      'i want to know',
      'i would like to know',
      'i wonder',
      'let me know',
      'can you say',
    ],
    imperative: ['please', 'can you', 'could you', 'would you', 'now', 'hey', 'ok'],
    imageContext: [
      'in the image',
      'in the picture',
      'in this image',
      'in this picture',
      'in the photo',
      'here',
      'on the picture',
    ],
    closing: ['please', 'thanks', 'thank you', 'for me'],
  },
  heldout: {
    question: ['good morning', 'yo', 'alright', 'one more thing'],
    embedded: ['would you mind telling me', 'i am curious', 'could you find out', 'i need to know'],
    imperative: ['kindly', 'go ahead and', 'quickly', 'just'],
    imageContext: ['in this photo', 'in the drawing', 'in the pic', 'shown here'],
    closing: ['thanks a lot', 'if you can', 'cheers', 'please and thank you'],
  },
};

/** Contractions people type; the recogniser (recognise.ts) expands them back. */
export const CONTRACTIONS: readonly (readonly [string, string])[] = [
  ['what is', "what's"],
  ['where is', "where's"],
  ['there is', "there's"],
  ['it is', "it's"],
  ['that is', "that's"],
  ['i would', "i'd"],
  ['i am', "i'm"],
  ['do not', "don't"],
  ['how is', "how's"],
  ['who is', "who's"],
];

/** Typed contractions back to their long forms (and curly apostrophes to straight ones). */
export function expandContractions(text: string): string {
  let out = text.toLowerCase().replace(/[\u2018\u2019]/g, "'");
  for (const [long, short] of CONTRACTIONS) out = out.replace(new RegExp(`\\b${short}(?=\\s|$|[^\\w'])`, 'g'), long);
  return out;
}

function contract(rng: Rng, text: string): string {
  let out = text;
  for (const [long, short] of CONTRACTIONS)
    out = out.replace(new RegExp(`\\b${long}\\b`, 'g'), (m) => (rng.bool(0.5) ? short : m));
  return out;
}

function capitalise(rng: Rng, text: string): string {
  const r = rng.next();
  if (r < 0.45) return text;
  if (r < 0.85) return text.charAt(0).toUpperCase() + text.slice(1);
  if (r < 0.9) return text.toUpperCase();
  if (r < 0.95) return text.replace(/\b\w/g, (c) => c.toUpperCase());
  return text.replace(/\b\w+/g, (w) => (rng.bool(0.3) ? w.charAt(0).toUpperCase() + w.slice(1) : w));
}

function punctuate(rng: Rng, text: string, question: boolean): string {
  const ends = question ? ['', '?', '?', '?', '??', ' ?', '.', '!'] : ['', '', '.', '!', '?'];
  return text + rng.pick(ends);
}

export type DecorationPart = 'opening' | 'context' | 'closing';

export interface DecorateOptions {
  /** Which openings, media references and closings to draw from. */
  readonly split: Split;
  /** Whether a media reference (`in the picture`) may follow. */
  readonly context: boolean;
  /** The media references of this task (default: the shapes' image references). */
  readonly contexts?: readonly string[];
  /** A part that must be there (a held-out prompt from a trained frame needs one held-out part). */
  readonly force?: DecorationPart;
}

/**
 * A frame's text with an opening (required for embedded clauses), maybe a media reference and a
 * closing, contractions, capitals and end punctuation. Each part is left out with a fixed
 * probability (unless forced), so plain wordings stay common.
 */
export function decorate(rng: Rng, text: string, kind: FrameKind, options: DecorateOptions): string {
  const d = DECORATIONS[options.split];
  const contexts = options.context ? (options.contexts ?? d.imageContext) : [];
  const force = options.force;
  let opening = '';
  if (kind === 'embedded') opening = rng.pick(d.embedded);
  else if (force === 'opening' || (!force && rng.bool(0.3)))
    opening = rng.pick(kind === 'question' ? d.question : d.imperative);
  const comma = opening && kind !== 'embedded' && rng.bool(0.5) ? ',' : '';
  const context = contexts.length > 0 && (force === 'context' || (!force && rng.bool(0.3))) ? rng.pick(contexts) : '';
  const closing =
    force === 'closing' || (!force && rng.bool(0.15)) ? `${rng.bool(0.4) ? ',' : ''} ${rng.pick(d.closing)}` : '';
  const body = tidy(`${opening}${comma} ${text} ${context}${closing}`);
  return punctuate(rng, capitalise(rng, contract(rng, body)), kind !== 'imperative');
}
