/**
 * Pairs the generated media sets (tools/datagen) with prompts and answers from tools/worlds, for
 * the vision and audio training stages of the default model. The answers come from the worlds'
 * own question and intent code, so the trainer never re-implements the spec; the prompts are the
 * training set's wordings (tools/worlds/src/wordings, `train`: the tables' wording a quarter of
 * the time).
 *
 *   node --import tsx tools/train/make_pairs.ts --images DIR [--audio DIR] --per-scene 4 --seed 5 --out FILE
 *
 * Each output line is a text-form example (type, cells, spoken, prompt, answer) plus the index of
 * its image (`image`, a row of DIR/pixel_values.npy) and/or clip (`audio`, a clip of DIR/clips.jsonl):
 * - per image: `--per-scene` shapes questions (types uniform) and, with probability `--refusals`, a
 *   prompt to refuse with that image (tools/worlds' refusal kinds);
 * - per command clip: one transcribe, one intent and one respond example;
 * - per spoken-question clip: the question asked about a random image of `--images`; no transcript
 *   pair (transcription is a smart-home task);
 * - per copy clip (an everyday English sentence: tools/datagen `--copy-share`): one transcribe example;
 * - per clip, with probability `--refusals`, a prompt to refuse with that clip.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  answerQuestion,
  homePrompt,
  intentJson,
  REFUSAL,
  respondTo,
  Rng,
  sampleExample,
  sampleRefusalPrompt,
  SHAPE_QUESTION_TYPES,
  type Intent,
  type Scene,
  type ShapeQuestion,
} from '../worlds/src/index.js';

interface SceneLine {
  scene: Scene;
  cells: string[];
}
interface ClipLine {
  text: string;
  kind: 'command' | 'question' | 'copy';
  intent?: Intent;
  question?: ShapeQuestion;
}

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

const { values } = parseArgs({
  options: {
    images: { type: 'string' },
    audio: { type: 'string' },
    'per-scene': { type: 'string', default: '4' },
    refusals: { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
if (!values.out || (!values.images && !values.audio)) {
  process.stderr.write(
    'usage: make_pairs.ts --images DIR [--audio DIR] [--per-scene N] [--refusals P] [--seed N] --out FILE\n',
  );
  process.exit(2);
}
const rng = new Rng(Number(values.seed));
const perScene = Number(values['per-scene']);
const refusalShare = Number(values.refusals);
const scenes = values.images ? readJsonl<SceneLine>(join(values.images, 'scenes.jsonl')) : [];
const clips = values.audio ? readJsonl<ClipLine>(join(values.audio, 'clips.jsonl')) : [];
const lines: string[] = [];
const emit = (o: object) => lines.push(JSON.stringify(o));

scenes.forEach(({ scene, cells }, image) => {
  for (let k = 0; k < perScene; k++) {
    // The worlds' own example sampler, for this image's scene (so shape-only `exists` and the wordings come with it).
    const e = sampleExample(rng, rng.pick(SHAPE_QUESTION_TYPES), { wording: 'train', scene });
    emit({ type: e.type, image, cells, spoken: null, prompt: e.prompt, answer: e.answer });
  }
  if (rng.bool(refusalShare)) {
    const { prompt } = sampleRefusalPrompt(rng, 'train', { image: true, audio: false });
    emit({ type: 'refusal', image, cells, spoken: null, prompt, answer: REFUSAL });
  }
});

clips.forEach((clip, audio) => {
  if (clip.kind === 'command' && clip.intent) {
    const { intent, text } = clip;
    const base = { audio, cells: null, spoken: text };
    emit({ ...base, type: 'transcribe', prompt: homePrompt(rng, 'transcribe', 'train'), answer: text });
    emit({ ...base, type: 'intent', prompt: homePrompt(rng, 'intent', 'train'), answer: intentJson(intent) });
    emit({ ...base, type: 'respond', prompt: homePrompt(rng, 'respond', 'train'), answer: respondTo(intent) });
  } else if (clip.kind === 'copy') {
    // Words to write out, nothing to do: no intent, no answer but the transcript.
    const { text } = clip;
    emit({
      audio,
      cells: null,
      spoken: text,
      type: 'transcribe',
      prompt: homePrompt(rng, 'transcribe', 'train'),
      answer: text,
    });
  } else {
    if (!clip.question) throw new Error(`clip ${audio}: a spoken question without its question (regenerate the set)`);
    // No `transcribe` pair here: transcription is a smart-home task, and the text LM never learnt to
    // write out a shapes question (the LM loss on such pairs pushed the adapter toward vectors the LM
    // misreads). The clip's words still train the encoder through the CTC loss of its spoken question.
    if (scenes.length > 0) {
      const image = rng.int(0, scenes.length - 1);
      const s = scenes[image] as SceneLine;
      emit({
        type: 'spoken_question',
        image,
        audio,
        cells: s.cells,
        spoken: clip.text,
        prompt: homePrompt(rng, 'spoken_question', 'train'),
        answer: answerQuestion(s.scene, clip.question),
      });
    }
  }
  if (rng.bool(refusalShare)) {
    const { prompt } = sampleRefusalPrompt(rng, 'train', { image: false, audio: true });
    emit({ type: 'refusal', audio, cells: null, spoken: clip.text, prompt, answer: REFUSAL });
  }
});

writeFileSync(values.out, `${lines.join('\n')}\n`);
process.stderr.write(
  `make_pairs: ${lines.length} examples from ${scenes.length} images and ${clips.length} clips -> ${values.out}\n`,
);
