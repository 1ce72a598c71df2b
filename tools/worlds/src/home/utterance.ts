import { z } from 'zod';
import type { Rng } from '../rng.js';
import { normaliseText } from '../normalise.js';
import {
  ACTIONS,
  ACTIONS_WITH_ROOM,
  CONFIRMATIONS,
  LOCATIONS,
  OBJECTS_BY_ACTION,
  ROOMS,
  WORDINGS,
  type Action,
  type Location,
  type Wording,
} from './spec.js';

/** Every object a command can name, in OBJECTS_BY_ACTION's order. */
export const OBJECTS = [...new Set(Object.values(OBJECTS_BY_ACTION).flat())];

/** A command's intent: the answer the model writes as JSON, properties in this order. */
export const intentSchema = z.strictObject({
  action: z.enum(ACTIONS),
  object: z.enum(OBJECTS),
  location: z.enum(LOCATIONS),
});
export type Intent = z.infer<typeof intentSchema>;

/**
 * The intent answer's JSON Schema, derived from intentSchema: what the default model declares as
 * its JSON answer (manifest generation.json_answer; tools/train/unmask_train/assemble.py writes the
 * same, and the training smoke test checks the two agree).
 */
export const INTENT_JSON_SCHEMA = z.toJSONSchema(intentSchema);

export interface Utterance {
  /** The words spoken: lower case, no punctuation. */
  text: string;
  intent: Intent;
  /** Index of the wording in WORDINGS[action]. */
  wording: number;
}

/** Fills a template: `{object}`, `{location}` and `[optional part]` (kept only when a room is named). */
export function fillTemplate(template: string, object: string, location: Location): string {
  const withGroups = template.replace(/\[([^\]]*)\]/g, (_, part: string) => (location === 'none' ? '' : part));
  return withGroups.replaceAll('{object}', object).replaceAll('{location}', location);
}

function hasRoomSlot(w: Wording): boolean {
  return /\[[^\]]*\{location\}[^\]]*\]/.test(w.template);
}

/** Whether a wording can express the given object and location. */
export function wordingFits(action: Action, w: Wording, object: string, location: Location): boolean {
  if (w.objects && !w.objects.includes(object)) return false;
  if (location !== 'none' && (!ACTIONS_WITH_ROOM.includes(action) || !hasRoomSlot(w))) return false;
  return true;
}

/** Every in-scope utterance: each wording × object × location combination that makes sense. */
export function allUtterances(): Utterance[] {
  const out: Utterance[] = [];
  for (const action of ACTIONS) {
    const locations: readonly Location[] = ACTIONS_WITH_ROOM.includes(action) ? LOCATIONS : ['none'];
    WORDINGS[action].forEach((w, wording) => {
      for (const object of OBJECTS_BY_ACTION[action]) {
        for (const location of locations) {
          if (!wordingFits(action, w, object, location)) continue;
          out.push({
            text: normaliseText(fillTemplate(w.template, object, location)),
            intent: { action, object, location },
            wording,
          });
        }
      }
    });
  }
  return out;
}

/**
 * A random utterance: action uniform, then object, then location (a room 60% of the time when one
 * fits), then a fitting wording of `wordings` (default: the table's; tools/worlds/src/wordings/home.ts
 * has more, and held-out ones). When no wording of the set fits the object and room, the room is
 * dropped, then the table's wordings are used.
 */
export function sampleUtterance(
  rng: Rng,
  wordings: Readonly<Record<Action, readonly Wording[]>> = WORDINGS,
): Utterance {
  const action = rng.pick(ACTIONS);
  const object = rng.pick(OBJECTS_BY_ACTION[action]);
  const wantsRoom = ACTIONS_WITH_ROOM.includes(action) && rng.bool(0.6);
  let location: Location = wantsRoom ? rng.pick(ROOMS) : 'none';
  const fits = (loc: Location) =>
    wordings[action].map((w, i) => [w, i] as const).filter(([w]) => wordingFits(action, w, object, loc));
  let fitting = fits(location);
  if (fitting.length === 0 && location !== 'none') fitting = fits((location = 'none'));
  if (fitting.length === 0)
    fitting = WORDINGS[action].map((w, i) => [w, i] as const).filter(([w]) => wordingFits(action, w, object, location));
  const [w, wording] = rng.pick(fitting);
  return {
    text: normaliseText(fillTemplate(w.template, object, location)),
    intent: { action, object, location },
    wording,
  };
}

/** The intent as JSON with the key order action, object, location. */
export function intentJson(intent: Intent): string {
  return JSON.stringify({ action: intent.action, object: intent.object, location: intent.location })
    .replace(/":"/g, '": "')
    .replace(/","/g, '", "');
}

/** The documented `respond to the request` confirmation for an intent. */
export function respondTo(intent: Intent): string {
  return fillTemplate(CONFIRMATIONS[intent.action], intent.object, intent.location);
}

/** Transcript normalisation: lower case, punctuation removed, whitespace collapsed. */
export function normaliseTranscript(text: string): string {
  return normaliseText(text);
}

/** Word error rate of a hypothesis against a reference (both normalised first). */
export function wordErrorRate(hypothesis: string, reference: string): number {
  const h = normaliseTranscript(hypothesis).split(' ').filter(Boolean);
  const r = normaliseTranscript(reference).split(' ').filter(Boolean);
  if (r.length === 0) return h.length === 0 ? 0 : 1;
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const cur = [i];
    for (let j = 1; j <= h.length; j++) {
      const sub = (prev[j - 1] as number) + (r[i - 1] === h[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] as number) + 1, (cur[j - 1] as number) + 1));
    }
    prev = cur;
  }
  return (prev[h.length] as number) / r.length;
}
