/**
 * The whole-answer check of a model that declares its refusal (`generation.refusal`): an answer
 * is either the refusal or an answer, never empty and never a splice of both. Parallel unmasking
 * can commit positions of two modes where the model hesitates between refusing and answering
 * ("i can only answer questions about left in images"); one token per step nearly never does
 * (docs/decoding.md, "The whole-answer check"). So a whole answer that fails the check is decoded
 * again, one token per step, by `Unmask`; a second decode that is still empty or only the
 * refusal's beginning is the model refusing, and is answered with the whole refusal.
 */
import { answerWords as words } from './answer-words.js';

/**
 * Whether `answer` is empty or may hold pieces of `refusal` without being it: it shares two
 * consecutive words with the refusal, or starts with the refusal's first word. Compared word by
 * word after lower-casing and dropping punctuation. A whole answer that happens to start like the
 * refusal ("i want the lights on") is caught too: it only costs a decode one token per step,
 * which gives it again.
 */
export function isRefusalFragment(answer: string, refusal: string): boolean {
  const said = words(answer);
  const refused = words(refusal);
  if (said.length === 0) return true;
  if (said.join(' ') === refused.join(' ')) return false;
  const pairs = new Set(refused.slice(1).map((w, i) => `${refused[i]} ${w}`));
  return said[0] === refused[0] || said.slice(1).some((w, i) => pairs.has(`${said[i]} ${w}`));
}

/** Whether `answer` is empty or the refusal's beginning, cut short ("i", "i can only answer"). */
export function isRefusalBeginning(answer: string, refusal: string): boolean {
  const said = words(answer);
  const refused = words(refusal);
  return said.length < refused.length && said.every((w, i) => w === refused[i]);
}
