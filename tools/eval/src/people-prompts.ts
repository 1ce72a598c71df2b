/**
 * Issue 16's own examples, asked of a bundle on the demo's sample media as a new user types them:
 * each case names the demo sample and the sample's suggested question it means, so the wanted
 * answer is the sample's own (apps/demo/public/samples/samples.json); `refuse` cases want the
 * worlds' refusal. A probe to read beside the evaluation's held-out figures, not a measurement.
 *
 *   node --import tsx tools/eval/src/people-prompts.ts [BUNDLE_DIR]   (default: models/default)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Unmask } from '@unmask/pipeline';
import { demoSamplesSchema } from '@unmask/protocol';
import { answersMatch, REFUSAL } from '../../worlds/src/index.js';

export const SAMPLES_DIR = fileURLToPath(new URL('../../../apps/demo/public/samples/', import.meta.url));

/** A prompt as people type it, on a sample (or none), meaning one of the sample's suggested questions, or to be refused. */
export interface PeopleCase {
  readonly file?: string;
  readonly prompt: string;
  readonly means?: string;
}

export const PEOPLE_CASES: readonly PeopleCase[] = [
  { file: 'shapes-3.png', prompt: 'what is the color of the circle', means: 'what color is the circle' },
  { file: 'shapes-3.png', prompt: 'which color does the circle have', means: 'what color is the circle' },
  { file: 'shapes-3.png', prompt: 'how many shapes are in the picture', means: 'how many shapes are there' },
  { file: 'shapes-3.png', prompt: 'count the shapes', means: 'how many shapes are there' },
  { file: 'shapes-3.png', prompt: 'describe this picture', means: 'describe the image' },
  { file: 'shapes-3.png', prompt: 'is there a red circle in the image', means: 'is there a red circle' },
  { file: 'shapes-3.png', prompt: 'Can you tell me where the circle is?', means: 'where is the circle' },
  { file: 'shapes-3.png', prompt: "What's the shape of the red thing?", means: 'what shape is the red object' },
  { file: 'shapes-4.png', prompt: 'how many things are in this image', means: 'how many shapes are there' },
  { file: 'shapes-4.png', prompt: 'what colour is the square?', means: 'what color is the square' },
  { file: 'shapes-2.png', prompt: 'please list the shapes you see', means: 'describe the image' },
  { file: 'command-3.wav', prompt: 'transcribe', means: 'transcribe the audio' },
  { file: 'command-3.wav', prompt: 'what did they say', means: 'transcribe the audio' },
  { file: 'command-3.wav', prompt: 'give me the intent as JSON', means: 'what is the intent' },
  { file: 'command-1.wav', prompt: 'what does the speaker want', means: 'what is the intent' },
  { file: 'command-1.wav', prompt: 'Please write down what was said.', means: 'transcribe the audio' },
  { file: 'command-2.wav', prompt: 'reply to the request', means: 'respond to the request' },
  { prompt: 'what is the capital of france' },
  { prompt: 'write me a poem about cats' },
  { file: 'shapes-3.png', prompt: 'transcribe the audio' },
];

export interface ResolvedCase extends PeopleCase {
  readonly want: string;
}

/** Each case with its wanted answer from the samples' list; throws on a case whose sample or question is not there. */
export function resolveCases(samplesJson: string, cases: readonly PeopleCase[] = PEOPLE_CASES): ResolvedCase[] {
  const samples = demoSamplesSchema.parse(JSON.parse(samplesJson));
  const all = [...samples.images, ...samples.audio];
  return cases.map((c) => {
    if (c.means === undefined) return { ...c, want: REFUSAL };
    const sample = all.find((s) => s.file === c.file);
    const want = sample?.answers[c.means];
    if (want === undefined) throw new Error(`no sample ${c.file} with the question ${JSON.stringify(c.means)}`);
    return { ...c, want };
  });
}

/** What a bundle answered to one case, and whether that is the wanted answer. */
export interface PeopleAnswer {
  readonly case: ResolvedCase;
  readonly text: string;
  readonly right: boolean;
}

/** Asks every case of `cases` of `unmask` on its sample, one after another, with the bundle's default decoding. */
export async function askPeople(unmask: Pick<Unmask, 'ask'>, cases: readonly ResolvedCase[]): Promise<PeopleAnswer[]> {
  const answers: PeopleAnswer[] = [];
  for (const c of cases) {
    const data = c.file ? readFileSync(`${SAMPLES_DIR}${c.file}`) : undefined;
    const media = !data ? {} : c.file?.endsWith('.wav') ? { audio: [data] } : { images: [data] };
    const { text } = await unmask.ask({ prompt: c.prompt, ...media });
    answers.push({ case: c, text, right: answersMatch(text, c.want) });
  }
  return answers;
}

async function main(): Promise<void> {
  const { Unmask } = await import('@unmask/pipeline');
  const dir = process.argv[2] ?? fileURLToPath(new URL('../../../models/default', import.meta.url));
  const cases = resolveCases(readFileSync(`${SAMPLES_DIR}samples.json`, 'utf8'));
  const unmask = await Unmask.load(dir);
  let answers: PeopleAnswer[];
  try {
    answers = await askPeople(unmask, cases);
  } finally {
    await unmask.close();
  }
  for (const { case: c, text, right } of answers) {
    console.log(
      `${right ? 'right' : 'WRONG'}  ${c.file ?? '(text)'}  ${JSON.stringify(c.prompt)} -> ${JSON.stringify(text)}`,
    );
    if (!right) console.log(`       want ${JSON.stringify(c.want)}`);
  }
  console.log(`${answers.filter((a) => a.right).length} of ${cases.length} right (${dir})`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
