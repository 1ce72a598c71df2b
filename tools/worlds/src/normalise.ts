/**
 * Answer and prompt normalisation from the worlds spec: lower case, punctuation removed,
 * whitespace collapsed. For prompts a trailing "?" or "." is optional, which removing
 * punctuation already covers.
 */
export function normaliseText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** True when two answers are equal after normalisation. */
export function answersMatch(predicted: string, expected: string): boolean {
  return normaliseText(predicted) === normaliseText(expected);
}

/** The canonical form of a prompt, used to recognise which task a prompt asks for. */
export function normalisePrompt(prompt: string): string {
  return normaliseText(prompt);
}
