/** An answer's words as the whole-answer check compares them. */

/** Lower case, every run of non-letters and non-digits one space, trimmed, split on the spaces. */
export function answerWords(text: string): string[] {
  const normal = text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return normal === '' ? [] : normal.split(' ');
}
