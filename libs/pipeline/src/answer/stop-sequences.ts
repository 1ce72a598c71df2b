/** OpenAI's `stop`: the answer ends before the first occurrence of any stop sequence. */
export function cutAtStop(text: string, stop: readonly string[]): { text: string; stopped: boolean } {
  let cut = -1;
  for (const s of stop) {
    const i = text.indexOf(s);
    if (i >= 0 && (cut < 0 || i < cut)) cut = i;
  }
  return cut < 0 ? { text, stopped: false } : { text: text.slice(0, cut), stopped: true };
}

/** Characters to hold back from a stream so that a stop sequence split across steps is never sent. */
export function holdBack(text: string, stop: readonly string[]): number {
  let hold = 0;
  for (const s of stop) {
    for (let k = Math.min(s.length - 1, text.length); k > hold; k--) {
      if (text.endsWith(s.slice(0, k))) {
        hold = k;
        break;
      }
    }
  }
  return hold;
}
