/**
 * Writes text-form examples (JSON lines) for training or evaluating the language model.
 *   tsx tools/worlds/src/generate-text.ts --seed 1 --count 1000 [--types color_of_shape,where] [--wording train] [--noise 0.4] [--spoken-noise 0.3] [--copy 0.3] [--swap 0.25 [--swap-types describe,intent]] [--synonyms 0.25 [--refusal-synonyms 0.25]] [--everyday-english 0.6] [--shuffle-own 0.02] [--near-misses wide] > out.jsonl
 * Types are drawn uniformly from the list (default: every task type). `--wording` (wordings/prompts.ts):
 * `train` (default, the training set's wordings), `heldout` (never trained on) or `table` (the tables'
 * wordings only). `--noise P` (training data, `train` wording only) puts noise words into a share P of
 * the prompts (wordings/noise.ts), from a random stream of its own: the examples are those drawn without it.
 * `--spoken-noise Q` (training data too) does the same to the spoken words of a share Q of the examples
 * with audio, from a third stream: a transcript's answer is the noisy words (the model learns to copy
 * words it was never taught rather than write out the nearest trained command); the other answers
 * stay, as a filler or a stray word does not change what was asked. `--copy C` (training data) gives a
 * share C of the transcripts a random word sequence to copy instead of a command (wordings/copy.ts),
 * from a fourth stream. `--swap S` (training data) replaces one word of a share S of the in-scope prompts
 * with a made-up word (wordings/noise.ts, swapWord), before any noise words, from a fifth stream;
 * `--swap-types a,b` limits it to those task types (default: every in-scope type). `--synonyms Y`
 * (training data) replaces one frame word of a share Y of the in-scope prompts with a WordNet synonym
 * (wordings/synonyms.ts), first of all, from a sixth stream. `--refusal-synonyms R` does the same to a
 * share R of the refusals' prompts (shuffled in-scope words, near misses, in-scope prompts without
 * their medium: swapped words are to be refused there too), from a seventh stream. `--everyday-english E`
 * (training data) gives a share E of the `everyday` refusals a WordNet usage example for prompt, and a
 * share E of the `near_miss` ones a WordNet noun for the unknown shape (wordings/english.ts), from an
 * eighth stream. `--shuffle-own S` (training data) makes a share S of the in-scope examples refusals of
 * their own prompt's words shuffled, their scene or spoken words kept (refusal-examples.ts,
 * addShuffledRefusal), after the synonym swaps, from a ninth stream. `--near-misses wide` (training data; default `base`) draws the training refusals' near
 * misses from the wider lists and more often (refusal.ts, NEAR_MISS_SETS): unlike the options above
 * it changes what the main stream draws, so every example after the first refusal differs.
 */
import { parseArgs } from 'node:util';
import { NEAR_MISS_SETS, type NearMissSet } from './refusal.js';
import { addShuffledRefusal } from './refusal-examples.js';
import { Rng } from './rng.js';
import { sampleExample, TASK_TYPES, toTextExample, type TaskType } from './tasks.js';
import { addCopyTask } from './wordings/copy.js';
import { addEverydayEnglish } from './wordings/english.js';
import { addNoiseWords, addSpokenNoise, swapWord } from './wordings/noise.js';
import type { WordingSplit } from './wordings/prompts.js';
import { swapSynonym, synonymTable } from './wordings/synonyms.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    count: { type: 'string', default: '1000' },
    types: { type: 'string' },
    wording: { type: 'string', default: 'train' },
    noise: { type: 'string', default: '0' },
    'real-noise': { type: 'string', default: '0' },
    'spoken-noise': { type: 'string', default: '0' },
    copy: { type: 'string', default: '0' },
    swap: { type: 'string', default: '0' },
    'swap-types': { type: 'string' },
    synonyms: { type: 'string', default: '0' },
    'refusal-synonyms': { type: 'string', default: '0' },
    'everyday-english': { type: 'string', default: '0' },
    'shuffle-own': { type: 'string', default: '0' },
    'near-misses': { type: 'string', default: 'base' },
  },
});
const seed = Number(values.seed);
const count = Number(values.count);
if (!Number.isInteger(seed) || !Number.isInteger(count) || count < 0) {
  throw new Error(`--seed and --count must be integers, got ${values.seed} and ${values.count}`);
}
const types = (values.types ? values.types.split(',') : [...TASK_TYPES]) as TaskType[];
for (const t of types)
  if (!TASK_TYPES.includes(t)) throw new Error(`--types: unknown task type "${t}" (known: ${TASK_TYPES.join(', ')})`);

const wording = values.wording as WordingSplit;
if (!['table', 'train', 'heldout'].includes(wording))
  throw new Error(`--wording must be table, train or heldout, got "${values.wording}"`);

/** A training-data option's share: a number in [0, 1], above 0 only with the training wordings. */
function trainingShare(
  flag:
    | 'noise'
    | 'real-noise'
    | 'spoken-noise'
    | 'copy'
    | 'swap'
    | 'synonyms'
    | 'refusal-synonyms'
    | 'everyday-english'
    | 'shuffle-own',
): number {
  const share = Number(values[flag]);
  if (!(share >= 0 && share <= 1)) throw new Error(`--${flag} must be a share in [0, 1], got "${values[flag]}"`);
  if (share > 0 && wording !== 'train')
    throw new Error(`--${flag} is for training data (--wording train), got --wording ${wording}`);
  return share;
}
const noise = trainingShare('noise');
const realNoise = trainingShare('real-noise');
if (realNoise > 0 && noise === 0)
  throw new Error('--real-noise R makes a share R of the --noise insertions real words: give --noise P too');
const spokenNoise = trainingShare('spoken-noise');
const copy = trainingShare('copy');
const swap = trainingShare('swap');
const synonyms = trainingShare('synonyms');
const refusalSynonyms = trainingShare('refusal-synonyms');
const everydayEnglish = trainingShare('everyday-english');
const shuffleOwn = trainingShare('shuffle-own');
const nearMisses = values['near-misses'] as NearMissSet;
if (!NEAR_MISS_SETS.includes(nearMisses))
  throw new Error(`--near-misses must be ${NEAR_MISS_SETS.join(' or ')}, got "${values['near-misses']}"`);
if (nearMisses !== 'base' && wording !== 'train')
  throw new Error(`--near-misses ${nearMisses} is for training data (--wording train), got --wording ${wording}`);
const inScope: readonly TaskType[] = TASK_TYPES.filter((t) => t !== 'refusal');
const swapTypes = new Set((values['swap-types'] ? values['swap-types'].split(',') : inScope) as TaskType[]);
for (const t of swapTypes)
  if (!inScope.includes(t))
    throw new Error(`--swap-types: "${t}" is not an in-scope task type (known: ${inScope.join(', ')})`);

const synonymsOf = synonyms > 0 || refusalSynonyms > 0 ? synonymTable() : new Map<string, readonly string[]>();

const rng = new Rng(seed);
const noiseRng = new Rng(seed ^ 0x6e6f6973);
const spokenRng = new Rng(seed ^ 0x73706b6e);
const copyRng = new Rng(seed ^ 0x636f7079);
const swapRng = new Rng(seed ^ 0x73776170);
const synonymRng = new Rng(seed ^ 0x73796e6f);
const refusalSynonymRng = new Rng(seed ^ 0x72667379);
const englishRng = new Rng(seed ^ 0x656e676c);
const shuffleRng = new Rng(seed ^ 0x73687566);
const lines: string[] = [];
for (let i = 0; i < count; i++) {
  let e = toTextExample(sampleExample(rng, rng.pick(types), { wording, nearMisses }));
  if (synonyms > 0 && e.type !== 'refusal')
    e = { ...e, prompt: swapSynonym(synonymRng, e.prompt, synonyms, synonymsOf) };
  if (refusalSynonyms > 0 && e.type === 'refusal')
    e = { ...e, prompt: swapSynonym(refusalSynonymRng, e.prompt, refusalSynonyms, synonymsOf) };
  if (shuffleOwn > 0) e = addShuffledRefusal(shuffleRng, e, shuffleOwn);
  if (everydayEnglish > 0) e = addEverydayEnglish(englishRng, e, everydayEnglish);
  if (swap > 0 && swapTypes.has(e.type)) e = { ...e, prompt: swapWord(swapRng, e.prompt, swap) };
  if (noise > 0) e = { ...e, prompt: addNoiseWords(noiseRng, e.prompt, noise, realNoise) };
  if (spokenNoise > 0) e = addSpokenNoise(spokenRng, e, spokenNoise);
  if (copy > 0) e = addCopyTask(copyRng, e, copy);
  lines.push(JSON.stringify(e));
  if (lines.length >= 5000) {
    process.stdout.write(`${lines.join('\n')}\n`);
    lines.length = 0;
  }
}
if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
