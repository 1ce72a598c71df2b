/**
 * How people ask the shapes world's questions: for every question kind, frames (templates) the
 * model is trained on and frames held out from training (to measure whether it generalises).
 * Slots: `{shape}`, `{shapes}` (plural), `{color}`, `{a_color}` (`a red`, `an orange`).
 * A frame's kind says which openings it takes (decorate.ts): a direct question, an embedded
 * clause (`... what color the circle is`, after `can you tell me`), or an imperative.
 * `context: false` marks frames that already name the image (no `in the picture` after them).
 */
import type { ShapeQuestion } from '../shapes/questions.js';

export type FrameKind = 'question' | 'embedded' | 'imperative';

export interface Frame {
  readonly template: string;
  readonly kind: FrameKind;
  /** Whether `in the image` and the like may follow (default true). */
  readonly context: boolean;
}

export interface FrameSet {
  readonly train: readonly Frame[];
  readonly heldout: readonly Frame[];
}

/** The question kinds with frames of their own (`exists_shape`: `is there a {shape}`, no colour). */
export type FrameKey = Exclude<ShapeQuestion['type'], 'exists'> | 'exists' | 'exists_shape';

const q = (template: string, context = true): Frame => ({ template, kind: 'question', context });
const e = (template: string, context = true): Frame => ({ template, kind: 'embedded', context });
const i = (template: string, context = true): Frame => ({ template, kind: 'imperative', context });

export const SHAPE_FRAMES: Readonly<Record<FrameKey, FrameSet>> = {
  color_of_shape: {
    train: [
      q('what (color|colour) is the {shape}'),
      q('what is the (color|colour) of the {shape}'),
      q('which (color|colour) is the {shape}'),
      q('(which|what) (color|colour) does the {shape} have'),
      q('the {shape} is what (color|colour)'),
      q('(color|colour) of the {shape}'),
      q("what is the {shape}'s (color|colour)"),
      q('{shape} (color|colour)'),
      q('what (color|colour) is the {shape} (shape|object)'),
      i('(tell me|give me|name|say) the (color|colour) of the {shape}'),
      e('what (color|colour) the {shape} is'),
      e('which (color|colour) the {shape} has'),
    ],
    heldout: [
      q('the {shape}, what (color|colour) is it'),
      q('what (color|colour) would you say the {shape} is'),
      q('in what (color|colour) is the {shape} drawn'),
      i('identify the (color|colour) of the {shape}'),
      e('what (color|colour) the {shape} has been given'),
      q('what (color|colour) does the {shape} come in'),
      q('what hue is the {shape}'),
      q('how is the {shape} (colored|coloured)'),
      q('what (color|colour) is used for the {shape}'),
      q('the {shape} is in which (color|colour)'),
      q('what (color|colour) do you see on the {shape}'),
      i('describe the (color|colour) of the {shape}'),
      e('how the {shape} is (colored|coloured)'),
    ],
  },
  shape_of_color: {
    train: [
      q('what shape is the {color} (object|one|thing)'),
      q('what is the shape of the {color} (object|one|thing)'),
      q('which shape is {color}'),
      q('which (shape|object) is the {color} one'),
      q('what is the {color} (shape|object|thing)'),
      q('the {color} (object|one) is what shape'),
      q('what kind of shape is the {color} (object|one)'),
      q('shape of the {color} (object|one)'),
      i('(tell me|give me|name) the shape of the {color} (object|one)'),
      i('name the {color} shape'),
      e('what shape the {color} (object|one) is'),
      e('which shape is {color}'),
    ],
    heldout: [
      q('the {color} one, what shape is it'),
      q('what sort of shape is the {color} (object|thing)'),
      q('which (object|shape) has the (color|colour) {color}'),
      i('identify the shape of the {color} object'),
      e('which shape has the (color|colour) {color}'),
      q('what shape has the {color} (object|one)'),
      q('which form does the {color} (object|one) have'),
      q('what is the {color} (object|one) shaped like'),
      q('how is the {color} (object|one) shaped'),
      q('the {color} (object|thing), which shape is that'),
      q('what shape is drawn in {color}'),
      i('describe the shape of the {color} (object|one)'),
      e('what the {color} (object|one) is shaped like'),
    ],
  },
  count_all: {
    train: [
      q('how many (shapes|objects) are there'),
      q('how many (shapes|objects|things) are (in|on) the (image|picture)', false),
      q('how many (shapes|objects|things) are there in the (image|picture)', false),
      q('how many (shapes|objects) do you see'),
      q('how many (shapes|objects|things) can you see'),
      q('how many (shapes|objects)'),
      q('what is the number of (shapes|objects)'),
      q('number of (shapes|objects)'),
      i('count the (shapes|objects)'),
      i('count (all|all of) the (shapes|objects)'),
      e('how many (shapes|objects) there are'),
    ],
    heldout: [
      q('how many (shapes|objects) does the (image|picture) (have|contain)', false),
      q('what is the total number of (shapes|objects)'),
      q('how many (shapes|objects) are shown'),
      i('count how many (shapes|objects) there are'),
      e('how many (shapes|objects) are shown'),
      q('how many (shapes|objects) can be spotted'),
      q('what is the count of (shapes|objects)'),
      q('how many (shapes|objects) are drawn'),
      q('how many (shapes|objects) appear'),
      q('what is the (shape|object) count'),
      q('how many (shapes|objects) are visible'),
      i('give me a count of the (shapes|objects)'),
      e('how many (shapes|objects) you can see'),
    ],
  },
  count_color: {
    train: [
      q('how many {color} (shapes|objects) are there'),
      q('how many {color} (shapes|objects|things|ones) (are there|do you see|can you see)'),
      q('how many (shapes|objects) are {color}'),
      q('how many of the (shapes|objects) are {color}'),
      q('how many {color} (shapes|objects)'),
      q('what is the number of {color} (shapes|objects)'),
      q('number of {color} (shapes|objects)'),
      i('count the {color} (shapes|objects|ones)'),
      e('how many {color} (shapes|objects) there are'),
      e('how many (shapes|objects) are {color}'),
    ],
    heldout: [
      q('how many (shapes|objects) have the (color|colour) {color}'),
      q('how many {color} (shapes|objects) are shown'),
      q('what is the total number of {color} (shapes|objects)'),
      i('count how many {color} (shapes|objects) there are'),
      e('how many (shapes|objects) have the (color|colour) {color}'),
      q('how many {color} (shapes|objects) can be spotted'),
      q('what is the count of {color} (shapes|objects)'),
      q('how many {color} (shapes|objects) are drawn'),
      q('how many {color} (shapes|objects) appear'),
      q('how many (shapes|objects) are (colored|coloured) {color}'),
      q('how many {color} (shapes|objects) are visible'),
      i('give me a count of the {color} (shapes|objects)'),
      e('how many {color} (shapes|objects) you can see'),
    ],
  },
  exists: {
    train: [
      q('is there {a_color} {shape}'),
      q('is there a {color} {shape}'),
      q('(do|can) you see {a_color} {shape}'),
      q('is there any {color} {shape}'),
      q('are there any {color} {shapes}'),
      q('does the (image|picture) (have|contain|show) {a_color} {shape}', false),
      q('is the {shape} {color}'),
      q('is there a {shape} that is {color}'),
      q('{a_color} {shape}'),
      e('if there is {a_color} {shape}'),
      e('whether there is {a_color} {shape}'),
    ],
    heldout: [
      q('is there a {shape} (colored|coloured) {color}'),
      q('does {a_color} {shape} appear'),
      q('would i find {a_color} {shape}'),
      q('is the {shape} in {color}'),
      e('if you see {a_color} {shape}'),
      q('is there {a_color} {shape} somewhere'),
      q('is there {a_color} {shape} visible'),
      q('does the (image|picture) include {a_color} {shape}', false),
      q('does the (image|picture) hold {a_color} {shape}', false),
      q('any {color} {shapes}'),
      q('is {a_color} {shape} (shown|drawn)'),
      i('look for {a_color} {shape}'),
      e('if the (image|picture) has {a_color} {shape}', false),
    ],
  },
  exists_shape: {
    train: [
      q('is there a {shape}'),
      q('(do|can) you see a {shape}'),
      q('is there any {shape}'),
      q('are there any {shapes}'),
      q('does the (image|picture) (have|contain|show) a {shape}', false),
      q('is a {shape} there'),
      e('if there is a {shape}'),
      e('whether there is a {shape}'),
    ],
    heldout: [
      q('does a {shape} appear'),
      q('would i find a {shape}'),
      q('is there a {shape} anywhere'),
      e('if you see a {shape}'),
      q('is there a {shape} visible'),
      q('does the (image|picture) include a {shape}', false),
      q('does the (image|picture) hold a {shape}', false),
      q('any {shapes}'),
      q('is a {shape} (shown|drawn)'),
      q('can a {shape} be spotted'),
      i('look for a {shape}'),
      e('if the (image|picture) has a {shape}', false),
    ],
  },
  where: {
    train: [
      q('where is the {shape}'),
      q('where is the {shape} (located|placed)'),
      q('what is the (position|location) of the {shape}'),
      q('(position|location) of the {shape}'),
      q('where (do you see|can i find|can you see) the {shape}'),
      q('which (cell|part) is the {shape} in'),
      q('in which (cell|part) of the (image|picture) is the {shape}', false),
      i('(locate|find) the {shape}'),
      i('(tell me|give me) the (position|location) of the {shape}'),
      e('where the {shape} is'),
    ],
    heldout: [
      q('whereabouts is the {shape}'),
      q('where does the {shape} sit'),
      q('in what part of the grid is the {shape}'),
      i('point out where the {shape} is'),
      e('where the {shape} sits'),
      q('where can the {shape} be found'),
      q('where in the (image|picture) is the {shape}', false),
      q('what spot is the {shape} in'),
      q('where has the {shape} been (placed|put)'),
      q('where would i find the {shape}'),
      q('where is the {shape} positioned'),
      q('which area is the {shape} in'),
      i('show me where the {shape} is'),
      e('where the {shape} can be found'),
    ],
  },
  describe: {
    train: [
      i('describe the (image|picture|scene)', false),
      i('describe this (image|picture|scene)', false),
      i('describe what you see', false),
      i('describe it', false),
      i('(list|name) (the|all the|all of the) (shapes|objects)'),
      i('give me a description of the (image|picture)', false),
      q('what is (in|on) the (image|picture)', false),
      q('what is in this (image|picture)', false),
      q('what (do|can) you see', false),
      q('what can you see in the (image|picture)', false),
      q('what does the (image|picture) show', false),
      q('what (shapes|objects) are there'),
      e('what is in the (image|picture)', false),
      e('what you see', false),
    ],
    heldout: [
      i('explain what the (image|picture) shows', false),
      i('walk me through the (image|picture)', false),
      q('what (shapes|objects) are shown'),
      q('what is drawn (in|on) the (image|picture)', false),
      e('what the (image|picture) (shows|contains)', false),
      q('what does the (image|picture) look like', false),
      q('what is shown (in|on) the (image|picture)', false),
      q('what can be spotted (in|on) the (image|picture)', false),
      q('what is in there', false),
      q('what (shapes|objects) appear'),
      i('give me a rundown of the (image|picture)', false),
      i('describe the contents of the (image|picture)', false),
      i('detail the (image|picture)', false),
      e('what the (image|picture) looks like', false),
    ],
  },
};
