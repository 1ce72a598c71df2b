/**
 * Recognises a typed prompt as one of the worlds' tasks, by the frames and decorations of either
 * split (or of one split only: the tests use it to show that no held-out prompt is a trained one).
 * The prompt is compared after contractions are expanded and the spec's normalisation (lower
 * case, punctuation removed, whitespace collapsed). Used to keep the refusal's shuffled prompts
 * out of scope, and by the tests.
 */
import { normaliseText } from '../normalise.js';
import { COLORS, SHAPES, type Color, type Shape } from '../shapes/spec.js';
import type { ShapeQuestion } from '../shapes/questions.js';
import { DECORATIONS, expandContractions, type Decorations, type Split } from './decorate.js';
import { HOME_FRAMES, type HomeTask } from './home.js';
import { TABLE_PROMPTS, plural } from './prompts.js';
import { SHAPE_FRAMES, type Frame, type FrameKey, type FrameSet } from './shapes.js';
import { expand } from './template.js';

export type Recognised = { task: 'shapes'; question: ShapeQuestion } | { task: HomeTask };

const alt = (xs: readonly string[]) => `(?:${xs.map((x) => normaliseText(x)).join('|')})`;
const SLOT_RE: Record<string, string> = {
  shape: `(?:${SHAPES.join('|')})`,
  shapes: `(?:${SHAPES.map(plural).join('|')})`,
  color: `(?:${COLORS.join('|')})`,
  a_color: `(?:a|an) (?:${COLORS.join('|')})`,
};

/** A frame's expansions as regular-expression sources over normalised text. */
function frameSources(frame: Frame): string[] {
  return expand(frame.template).map((text) => {
    // Protect the slots from the normalisation, then put their patterns in.
    const marked = text.replace(/\{(\w+)\}/g, (_, name: string) => ` slotmark${name.replace(/_/g, 'zz')} `);
    return normaliseText(marked).replace(/slotmark(\w+)/g, (_, mark: string) => {
      const name = mark.replace(/zz/g, '_');
      const re = SLOT_RE[name];
      if (!re) throw new Error(`frame "${frame.template}": unknown slot {${name}}`);
      return re;
    });
  });
}

type Key = FrameKey | HomeTask;
interface Matcher {
  key: Key;
  re: RegExp;
}

/** The decorations of the given splits as regular-expression alternations over normalised text. */
function decorationPatterns(splits: readonly Split[]) {
  const all = (pick: (d: Decorations) => readonly string[]) => splits.flatMap((s) => pick(DECORATIONS[s]));
  return {
    opening: alt([...all((d) => d.question), ...all((d) => d.imperative), ...all((d) => d.embedded)]),
    context: alt(all((d) => d.imageContext)),
    closing: alt(all((d) => d.closing)),
  };
}

/** A whole prompt: maybe an opening, one of the frame sources, maybe a media reference, maybe a closing. */
function promptPattern(sources: readonly string[], context: boolean, d: ReturnType<typeof decorationPatterns>): RegExp {
  const ctx = context ? `(?: ${d.context})?` : '';
  return new RegExp(`^(?:${d.opening} )?(?:${sources.join('|')})${ctx}(?: ${d.closing})?$`);
}

function matchers(splits: readonly Split[]): Matcher[] {
  const d = decorationPatterns(splits);
  const out: Matcher[] = [];
  const add = (key: Key, frames: readonly Frame[]) => {
    const sources = frames.flatMap(frameSources);
    if (sources.length === 0) return;
    out.push({
      key,
      re: promptPattern(
        sources,
        frames.some((f) => f.context),
        d,
      ),
    });
  };
  for (const [key, set] of Object.entries(SHAPE_FRAMES) as [FrameKey, (typeof SHAPE_FRAMES)[FrameKey]][]) {
    for (const split of splits) add(key, set[split]);
  }
  for (const [key, set] of Object.entries(HOME_FRAMES) as [HomeTask, (typeof HOME_FRAMES)[HomeTask]][]) {
    for (const split of splits) add(key, set[split]);
    add(
      key,
      TABLE_PROMPTS[key].map((template) => ({ template, kind: 'imperative', context: false })),
    );
  }
  return out;
}

const cache = new Map<string, Matcher[]>();

/** The prompt in the form the recogniser compares. */
export function canonicalPrompt(prompt: string): string {
  return normaliseText(expandContractions(prompt));
}

/**
 * The task a prompt asks for (with the question's slots for shapes questions), or undefined when
 * no frame of the given splits words it. The table's wordings are trained frames too.
 */
export function recognise(prompt: string, splits: readonly Split[] = ['train', 'heldout']): Recognised | undefined {
  const key = splits.join(',');
  let ms = cache.get(key);
  if (!ms) cache.set(key, (ms = matchers(splits)));
  const text = canonicalPrompt(prompt);
  for (const m of ms) {
    if (!m.re.test(text)) continue;
    if (!(SHAPE_FRAMES as Record<string, unknown>)[m.key]) return { task: m.key as HomeTask };
    // A frame names at most one shape and one colour: read them off the words.
    const words = text.split(' ');
    const shape = SHAPES.find((s) => words.includes(s) || words.includes(plural(s)));
    const color = COLORS.find((c) => words.includes(c));
    return { task: 'shapes', question: toQuestion(m.key as FrameKey, shape, color, text) };
  }
  return undefined;
}

function toQuestion(key: FrameKey, shape: Shape | undefined, color: Color | undefined, text: string): ShapeQuestion {
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`recognise: "${text}" matched ${key} without a ${what}`);
    return v;
  };
  switch (key) {
    case 'color_of_shape':
    case 'where':
      return { type: key, shape: need(shape, 'shape') };
    case 'shape_of_color':
    case 'count_color':
      return { type: key, color: need(color, 'colour') };
    case 'count_all':
      return { type: 'count_all', wording: text === 'how many objects are in the image' ? 1 : 0 };
    case 'exists':
      return { type: 'exists', color: need(color, 'colour'), shape: need(shape, 'shape') };
    case 'exists_shape':
      return { type: 'exists', color: null, shape: need(shape, 'shape') };
    case 'describe':
      return { type: 'describe' };
  }
}

/** Which frame words a prompt, from which set, and whether its decorations are trained or held out. */
export interface RecognisedWording {
  readonly key: Key;
  /** The frame's template, as in shapes.ts and home.ts (a table prompt is a trained frame of its own). */
  readonly frame: string;
  readonly split: Split;
  /** `heldout` when the prompt needs a held-out opening, media reference or closing. */
  readonly decorations: Split;
}

interface WordingMatcher extends RecognisedWording {
  readonly re: RegExp;
}

function wordingMatchers(): WordingMatcher[] {
  const patterns = { train: decorationPatterns(['train']), heldout: decorationPatterns(['train', 'heldout']) };
  const out: WordingMatcher[] = [];
  const add = (key: Key, frame: Frame, split: Split) => {
    const sources = frameSources(frame);
    for (const decorations of ['train', 'heldout'] as const)
      out.push({
        key,
        frame: frame.template,
        split,
        decorations,
        re: promptPattern(sources, frame.context, patterns[decorations]),
      });
  };
  for (const [key, set] of Object.entries({ ...SHAPE_FRAMES, ...HOME_FRAMES }) as [Key, FrameSet][])
    for (const split of ['train', 'heldout'] as const) for (const frame of set[split]) add(key, frame, split);
  for (const [key, prompts] of Object.entries(TABLE_PROMPTS) as [HomeTask, readonly string[]][])
    for (const template of prompts) add(key, { template, kind: 'imperative', context: false }, 'train');
  // Trained decorations first, then the longer frame: a prompt is read the most trained way it can be.
  return out.sort((a, b) =>
    a.decorations === b.decorations ? b.frame.length - a.frame.length : a.decorations === 'train' ? -1 : 1,
  );
}

let wordingCache: WordingMatcher[] | undefined;

/**
 * Every frame that words a prompt (either set), each with whether the prompt needs held-out
 * decorations from it; the most trained reading first (trained decorations, then the longer frame).
 */
export function wordingsOf(prompt: string): RecognisedWording[] {
  wordingCache ??= wordingMatchers();
  const text = canonicalPrompt(prompt);
  return wordingCache
    .filter((x) => x.re.test(text))
    .map((m) => ({ key: m.key, frame: m.frame, split: m.split, decorations: m.decorations }));
}

/**
 * The frame a prompt was drawn from and whether it carries held-out decorations (the first of
 * wordingsOf), or undefined when no frame words it: for reading evaluation results frame by frame.
 */
export function recogniseWording(prompt: string): RecognisedWording | undefined {
  return wordingsOf(prompt)[0];
}
