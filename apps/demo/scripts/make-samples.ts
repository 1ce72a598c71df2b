/**
 * Writes the demo's sample media into public/samples/ with the worlds' own generators: four
 * shapes-world PNGs (256 px), spoken smart-home commands and one spoken shapes question
 * (espeak-ng, 16 kHz 16-bit mono WAV), and samples.json with each sample's expected answers.
 * Run once by hand (`npx tsx scripts/make-samples.ts`); the outputs are committed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { demoSamplesSchema, type DemoAudioSample, type DemoImageSample } from '@unmask/protocol';
import {
  Rng,
  allQuestions,
  answerQuestion,
  describeScene,
  encodeWav,
  intentJson,
  padSilence,
  questionText,
  renderRaster,
  respondTo,
  sampleScene,
  synthesise,
  type Intent,
  type Scene,
} from '../../../tools/worlds/src/index.js';

const out = fileURLToPath(new URL('../public/samples/', import.meta.url));
mkdirSync(out, { recursive: true });

const images: DemoImageSample[] = [];
const rng = new Rng(2026);
const prompts = allQuestions();
for (const [i, count] of [1, 2, 3, 4].entries()) {
  const scene: Scene = sampleScene(rng, { width: 256, height: 256, objectCount: count, noiseProbability: 0 });
  const file = `shapes-${i + 1}.png`;
  writeFileSync(out + file, await renderRaster(scene, { format: 'png' }));
  // A few questions whose premise holds, with their answers (suggestions, and the real model's tests).
  const first = scene.objects[0]!;
  const wanted = new Set([
    'describe the image',
    'how many shapes are there',
    `what color is the ${first.shape}`,
    `where is the ${first.shape}`,
    `what shape is the ${first.color} object`,
    `is there a ${first.color} ${first.shape}`,
    `how many ${first.color} shapes are there`,
  ]);
  const answers: Record<string, string> = {};
  for (const q of prompts) {
    const text = questionText(q);
    const answer = answerQuestion(scene, q);
    if (wanted.has(text) && !answer.startsWith('there is')) answers[text] = answer;
  }
  images.push({ file, alt: describeScene(scene), answers });
}

function speak(text: string, voice: string): Buffer {
  const wave = padSilence(synthesise(text, { voice, rate: 160, pitch: 50 }), 0.1, 0.1);
  // 16 kHz mono 16-bit: the smallest of the formats the spec allows that keeps speech clear; sox
  // converts the rate band-limited, as for every training and evaluation clip. (Until build 12 the
  // clips were decimated by nearest sample, aliased: docs/default-model.md, "Aliased speech".)
  return encodeWav(wave, { sampleRate: 16000, bits: 16, encoding: 'pcm', channels: 1 });
}

const commands: { text: string; intent: Intent; voice: string }[] = [
  {
    text: 'turn on the lights in the kitchen',
    intent: { action: 'activate', object: 'lights', location: 'kitchen' },
    voice: 'en-us',
  },
  { text: 'turn down the heat', intent: { action: 'decrease', object: 'heat', location: 'none' }, voice: 'en-gb+f2' },
  { text: 'bring me my shoes', intent: { action: 'bring', object: 'shoes', location: 'none' }, voice: 'en+m3' },
];
const audio: DemoAudioSample[] = commands.map((c, i) => {
  const file = `command-${i + 1}.wav`;
  writeFileSync(out + file, speak(c.text, c.voice));
  return {
    file,
    transcript: c.text,
    intent: c.intent,
    response: respondTo(c.intent),
    answers: {
      'transcribe the audio': c.text,
      'what is the intent': intentJson(c.intent),
      'respond to the request': respondTo(c.intent),
    },
  };
});

// A spoken question about the first two-object image.
const second = images[1];
const spokenQuestion =
  Object.keys(second?.answers ?? {}).find((q) => q.startsWith('what color is the')) ?? 'how many shapes are there';
writeFileSync(`${out}question-1.wav`, speak(spokenQuestion, 'en-gb'));
audio.push({
  file: 'question-1.wav',
  transcript: spokenQuestion,
  answers: { 'answer the spoken question': second?.answers[spokenQuestion] ?? '' },
});

const samples = demoSamplesSchema.parse({ images, audio, questionImage: second?.file });
writeFileSync(`${out}samples.json`, `${JSON.stringify(samples, null, 2)}\n`);
console.log(`wrote ${images.length} images and ${audio.length} clips to ${out}`);
