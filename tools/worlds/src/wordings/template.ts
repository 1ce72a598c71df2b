/**
 * The small template language of the wordings: `(a|b|c)` is one of the alternatives (no nesting),
 * `{name}` a slot filled from a record. A template expands to every string it can produce
 * (`expand`, for the recogniser and the tests) or to one random string (`pickAlternatives`).
 */
import type { Rng } from '../rng.js';

const GROUP = /\(([^()]*)\)/;

/** Every string the alternatives `(a|b)` of a template can produce (slots left as they are). */
export function expand(template: string): string[] {
  const m = GROUP.exec(template);
  if (!m) return [template];
  const head = template.slice(0, m.index);
  const tail = template.slice(m.index + m[0].length);
  return (m[1] as string).split('|').flatMap((alt) => expand(`${head}${alt}${tail}`));
}

/** One random expansion of the template's alternatives (each group uniform, left to right). */
export function pickAlternatives(rng: Rng, template: string): string {
  let out = template;
  for (let m = GROUP.exec(out); m; m = GROUP.exec(out)) {
    out = out.slice(0, m.index) + rng.pick((m[1] as string).split('|')) + out.slice(m.index + m[0].length);
  }
  return out;
}

/** Fills `{name}` slots; a slot with no value is an error (a template names only slots it is given). */
export function fill(template: string, slots: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = slots[name];
    if (v === undefined) throw new Error(`template "${template}": no value for {${name}}`);
    return v;
  });
}

/** The slot names a template uses. */
export function slotNames(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

/** Spaces collapsed, no space before a comma, trimmed: templates joined with empty parts stay tidy. */
export function tidy(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/ ,/g, ',')
    .replace(/^[,\s]+|[,\s]+$/g, '')
    .trim();
}
