import type { Rng } from './rng.js';
import { SHAPES } from './shapes/spec.js';
import { DECORATIONS, decorate, type Split } from './wordings/decorate.js';
import { fill, pickAlternatives, tidy } from './wordings/template.js';

/** The fixed answer to any prompt outside the two worlds. */
export const REFUSAL = 'i can only answer questions about shapes in images and smart home voice commands';

/** The prompt of the combined task (an image plus a spoken world-1 question). */
export const SPOKEN_QUESTION_PROMPT = 'answer the spoken question';

/** Everyday prompts outside the worlds, used to teach and test the refusal. */
export const OFF_TOPIC_PROMPTS: readonly string[] = [
  'hello',
  'hi there',
  'how are you',
  'what is your name',
  'tell me a joke',
  'what is the weather today',
  'write a poem about the sea',
  'what time is it',
  'who are you',
  'translate this to german',
  'what is two plus two',
  'summarise this article',
  'explain quantum physics',
  'what is the capital of france',
  'can you help me',
  'good morning',
  'thank you',
  'what can you do',
  'play a game with me',
  'open the door',
  'is the circle big',
  'how big is the square',
  'what is the biggest shape',
  'what color is the background',
  'count the colors',
  'what language is this',
  'who is speaking',
  'is the speaker a man or a woman',
  'how long is the audio',
];

/** Everyday prompts never trained on (the held-out refusals). */
export const HELDOUT_OFF_TOPIC_PROMPTS: readonly string[] = [
  'good evening',
  'what day is it',
  'sing me a song',
  'how old are you',
  'where do you live',
  'what is the meaning of life',
  'recommend a good book',
  'is it going to rain tomorrow',
  'what is the smallest shape',
  'what is behind the circle',
  'how tall is the triangle',
  'which shape is the prettiest',
  'how loud is the speaker',
  'what accent does the speaker have',
  'order a pizza',
  'what is your favourite color',
];

/**
 * Out-of-world prompts built from frames: requests on other topics, and questions shaped like the
 * worlds' own about things the worlds do not have (`what color is the sky`, `is there a dog`).
 */
export const OFF_TOPIC_FRAMES: Readonly<Record<Split, readonly string[]>> = {
  train: [
    'tell me about {topic}',
    'what do you know about {topic}',
    '(explain|describe) {topic}',
    'write a (poem|story|song) about {topic}',
    'how do i {activity}',
    'can you help me {activity}',
    'what is the best way to {activity}',
    'who invented {thing}',
    'how does {thing} work',
    'what is {thing}',
    'i (like|love|hate) {topic}',
    'what (color|colour) is the {object}',
    'where is the {object}',
    'how many {objects} are there',
    'is there a {object}',
    '(do|can) you see a {object}',
    'count the {objects}',
    'describe (yourself|your day|the {object})',
    'what is the weather in {city}',
    'what time is it in {city}',
    'remind me to {activity}',
    'call {person}',
    'what does {word} mean',
    'spell {word}',
  ],
  heldout: [
    'give me a recipe for {topic}',
    'recommend a (movie|podcast) about {topic}',
    'how far is {city}',
    'what is your favourite {object}',
    'who is the (mayor|president) of {city}',
    'book a table in {city}',
    'why is the {object} (there|so small)',
    'how many {objects} live in {city}',
    'is the {object} (happy|old|expensive)',
    'show me {topic}',
    'what rhymes with {word}',
    'what is the opposite of {word}',
  ],
};

export const OFF_TOPIC_FILLERS: Readonly<Record<Split, Readonly<Record<string, readonly string[]>>>> = {
  train: {
    topic: ['history', 'football', 'the moon', 'cooking', 'politics', 'the ocean', 'dinosaurs', 'the news', 'space'],
    activity: ['bake bread', 'fix my bike', 'learn french', 'tie a tie', 'get to the station', 'write an email'],
    thing: ['the internet', 'electricity', 'a computer', 'gravity', 'the telephone', 'a rainbow'],
    object: ['sky', 'sun', 'car', 'house', 'tree', 'dog', 'cat', 'background', 'text', 'person', 'table'],
    objects: ['cars', 'dogs', 'cats', 'people', 'trees', 'houses', 'colors', 'words', 'letters'],
    city: ['paris', 'london', 'tokyo', 'berlin', 'new york'],
    person: ['mom', 'john', 'the doctor', 'my boss'],
    word: ['cat', 'house', 'apple', 'happy', 'window'],
  },
  heldout: {
    topic: ['pasta', 'volcanoes', 'the stock market', 'birds', 'jazz'],
    object: ['moon', 'bicycle', 'flower', 'horse', 'chair', 'window'],
    objects: ['birds', 'chairs', 'flowers', 'horses'],
    city: ['rome', 'madrid', 'sydney', 'chicago'],
    word: ['dog', 'green house', 'river', 'quiet'],
  },
};

/** Shapes and colours the worlds do not have (near misses of their questions). */
export const OTHER_SHAPES: Readonly<Record<Split, readonly string[]>> = {
  train: ['hexagon', 'rectangle', 'oval', 'heart', 'cross', 'pentagon', 'ring', 'cube', 'line', 'sphere'],
  heldout: ['octagon', 'arrow', 'crescent', 'trapezoid'],
};
export const OTHER_COLORS: Readonly<Record<Split, readonly string[]>> = {
  train: ['pink', 'brown', 'white', 'grey', 'cyan', 'gold', 'violet', 'navy', 'tan', 'lilac'],
  heldout: ['magenta', 'beige', 'turquoise', 'silver'],
};

/** Questions about what the shapes world does not say (size, background), per shape. */
export const ATTRIBUTE_FRAMES: Readonly<Record<Split, readonly string[]>> = {
  train: [
    'what size is the {shape}',
    'is the {shape} (big|small)',
    'how big is the {shape}',
    'what is the biggest shape',
  ],
  heldout: ['how wide is the {shape}', 'is the {shape} larger than the others'],
};

/** An everyday prompt (listed, or built from a frame) of the split, decorated like a question. */
export function sampleOffTopicPrompt(rng: Rng, split: Split = 'train'): string {
  const listed = split === 'train' ? OFF_TOPIC_PROMPTS : HELDOUT_OFF_TOPIC_PROMPTS;
  const fillers = { ...OFF_TOPIC_FILLERS.train, ...OFF_TOPIC_FILLERS[split] };
  const text = rng.bool(0.5)
    ? rng.pick(listed)
    : tidy(
        fill(
          pickAlternatives(rng, rng.pick(OFF_TOPIC_FRAMES[split])),
          Object.fromEntries(Object.entries(fillers).map(([k, v]) => [k, rng.pick(v)])),
        ),
      );
  return decorate(rng, text, 'question', { split, context: false });
}

/**
 * Which near misses training draws (generate-text `--near-misses`, the build's `TEXT_NEAR_MISSES`):
 * `base` (build 13), or `wide`, which adds WIDE_NEAR_MISSES to the trained lists and draws more of
 * them (refusal-examples.ts). The held-out lists are the same for both.
 */
export const NEAR_MISS_SETS = ['base', 'wide'] as const;
export type NearMissSet = (typeof NEAR_MISS_SETS)[number];

/**
 * What `wide` adds to the trained near misses: shapes and colours the world lacks, and questions
 * about what it does not say (size, material, pattern, orientation, sides, relations between
 * shapes, purpose). No word of theirs is one only the held-out lists use (the held-out set stays
 * unread in training), and none is a word the base lists use or a made-up noise word could spell
 * (noise.ts), so counting them among the worlds' words leaves `base` data as they were.
 */
export const WIDE_NEAR_MISSES = {
  shapes: [
    'ellipse',
    'cylinder',
    'cone',
    'pyramid',
    'spiral',
    'semicircle',
    'parallelogram',
    'cloud',
    'polygon',
    'zigzag',
    'wave',
    'prism',
    'blob',
  ],
  colors: [
    'maroon',
    'olive',
    'teal',
    'indigo',
    'crimson',
    'amber',
    'peach',
    'ivory',
    'khaki',
    'coral',
    'mint',
    'copper',
    'scarlet',
    'charcoal',
    'cream',
    'gray',
    'rust',
  ],
  attributes: [
    'how (small|long|heavy|thick) is the {shape}',
    'which shape is the (biggest|heaviest|nicest)',
    'is the {shape} (shiny|soft|hard|heavy|transparent|striped|hollow|rotated|moving|cute|ugly|beautiful)',
    'what (texture|pattern|material) (does the {shape} have|is the {shape})',
    'how thick is the outline of the {shape}',
    'what angle is the {shape} turned',
    'how many (corners|edges|points) does the {shape} have',
    'what is (above|below|under|next to|near|inside|around) the {shape}',
    'is the {shape} (above|below|under|next to|near|touching|inside) the {other}',
    'does the {shape} (touch|overlap|cover) the {other}',
    'what is between the {shape} and the {other}',
    'which shape is (closest|nearest) to the {shape}',
    'how many shapes are (next to|near|around) the {shape}',
    '(who|what) drew the {shape}',
    'what does the {shape} (mean|stand for)',
    'what is the {shape} (for|doing)',
    'how fast is the {shape} moving',
    'do you like the {shape}',
  ],
} as const;

const widened = (set: NearMissSet, split: Split, base: readonly string[], more: readonly string[]) =>
  set === 'wide' && split === 'train' ? [...base, ...more] : base;

/** The shapes the world lacks that near misses of `split` name. */
export const otherShapes = (split: Split, set: NearMissSet = 'base'): readonly string[] =>
  widened(set, split, OTHER_SHAPES[split], WIDE_NEAR_MISSES.shapes);

/** The colours the world lacks that near misses of `split` name. */
export const otherColors = (split: Split, set: NearMissSet = 'base'): readonly string[] =>
  widened(set, split, OTHER_COLORS[split], WIDE_NEAR_MISSES.colors);

/**
 * A question about an attribute the shapes world does not have (`how big is the circle`). `wide`
 * frames may name a second shape (`{other}`), so `wide` draws two different shapes, `base` one.
 */
export function sampleAttributeQuestion(rng: Rng, split: Split = 'train', set: NearMissSet = 'base'): string {
  const frames = widened(set, split, ATTRIBUTE_FRAMES[split], WIDE_NEAR_MISSES.attributes);
  const frame = pickAlternatives(rng, rng.pick(frames));
  const [shape, other] = set === 'wide' ? rng.shuffle(SHAPES) : [rng.pick(SHAPES)];
  const text = fill(frame, { shape: shape!, ...(other ? { other } : {}) });
  return decorate(rng, text, 'question', { split, context: true, contexts: DECORATIONS[split].imageContext });
}
