/**
 * Pairs the generated media sets (tools/datagen) with prompts and answers from tools/worlds, for
 * the vision and audio training stages of the default model. The answers come from the worlds'
 * own question and intent code, so the trainer never re-implements the spec.
 *
 *   node --import tsx tools/train/make_pairs.ts --images DIR [--audio DIR] --per-scene 4 --seed 5 --out FILE
 *
 * Each output line is a text-form example (type, cells, spoken, prompt, answer) plus the index of
 * its image (`image`, a row of DIR/pixel_values.npy) and/or clip (`audio`, a clip of DIR/clips.jsonl):
 * - per image: `--per-scene` shapes questions (types uniform) and, with `--refusals`, an off-topic prompt;
 * - per command clip: one transcribe, one intent and one respond example (the prompt wording random);
 * - per spoken-question clip: the question asked about a random image of `--images`
 *   (prompt `answer the spoken question`); no transcript pair (transcription is a smart-home task).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  answerQuestion,
  HOME_PROMPTS,
  inScopePrompts,
  intentJson,
  normalisePrompt,
  parseShapeQuestion,
  questionText,
  REFUSAL,
  respondTo,
  Rng,
  sampleOffTopicPrompt,
  sampleQuestion,
  SHAPE_QUESTION_TYPES,
  SPOKEN_QUESTION_PROMPT,
  type Intent,
  type Scene,
} from '../worlds/src/index.js';

interface SceneLine {
  scene: Scene;
  cells: string[];
}
interface ClipLine {
  text: string;
  kind: 'command' | 'question';
  intent?: Intent;
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
    const type = rng.pick(SHAPE_QUESTION_TYPES);
    const q = sampleQuestion(rng, scene, type);
    emit({ type, image, cells, spoken: null, prompt: questionText(q), answer: answerQuestion(scene, q) });
  }
  if (rng.bool(refusalShare))
    emit({
      type: 'refusal',
      image,
      cells,
      spoken: null,
      prompt: sampleOffTopicPrompt(rng, inScopePrompts()),
      answer: REFUSAL,
    });
});

clips.forEach((clip, audio) => {
  if (clip.kind === 'command' && clip.intent) {
    const { intent, text } = clip;
    emit({
      type: 'transcribe',
      audio,
      cells: null,
      spoken: text,
      prompt: rng.pick(HOME_PROMPTS.transcribe),
      answer: text,
    });
    emit({
      type: 'intent',
      audio,
      cells: null,
      spoken: text,
      prompt: rng.pick(HOME_PROMPTS.intent),
      answer: intentJson(intent),
    });
    emit({
      type: 'respond',
      audio,
      cells: null,
      spoken: text,
      prompt: HOME_PROMPTS.respond[0],
      answer: respondTo(intent),
    });
  } else {
    const q = parseShapeQuestion(normalisePrompt(clip.text));
    if (!q) throw new Error(`clip ${audio}: "${clip.text}" is not a shapes question`);
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
        prompt: SPOKEN_QUESTION_PROMPT,
        answer: answerQuestion(s.scene, q),
      });
    }
  }
  if (rng.bool(refusalShare))
    emit({
      type: 'refusal',
      audio,
      cells: null,
      spoken: clip.text,
      prompt: sampleOffTopicPrompt(rng, inScopePrompts()),
      answer: REFUSAL,
    });
});

writeFileSync(values.out, `${lines.join('\n')}\n`);
process.stderr.write(
  `make_pairs: ${lines.length} examples from ${scenes.length} images and ${clips.length} clips -> ${values.out}\n`,
);
