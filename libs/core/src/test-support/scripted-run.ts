/**
 * Runs one request through the whole engine against a scripted model whose every answer
 * position has a fixed prediction, and records the steps: what the strategy specifications use.
 */
import { DecodingEngine, type EngineOptions } from '../decoding/decoding-engine.js';
import type { StepEvent } from '../decoding/events.js';
import type { GenerateRequest } from '../decoding/request.js';
import { DEFAULT_INFO, peaked, ScriptedModel } from './scripted-model.js';
import type { ModelInfo } from '../model/language-model.js';

export const PROMPT = [2, 3, 4];

/** Answer position a predicts token `answer[a][0]` with probability `answer[a][1]` (or these logits). */
export type AnswerScript = readonly (readonly [number, number] | Float32Array)[];

export function fixedModel(answer: AnswerScript, info: ModelInfo = DEFAULT_INFO): ScriptedModel {
  return new ScriptedModel(({ target }) => {
    const entry = answer[target - PROMPT.length];
    if (!entry) throw new Error(`no script for position ${target}`);
    return entry instanceof Float32Array ? entry : peaked(entry[0], entry[1], info.vocabSize);
  }, info);
}

export async function runScripted(
  answer: AnswerScript,
  strategy: unknown,
  extra: Partial<GenerateRequest> = {},
  options: EngineOptions & { info?: ModelInfo } = {},
) {
  const model = fixedModel(answer, options.info);
  const stream = new DecodingEngine(model, options).generate({
    promptIds: PROMPT,
    maxTokens: answer.length,
    ...(strategy === undefined ? {} : { strategy }),
    ...extra,
  });
  const steps: StepEvent[] = [];
  for await (const step of stream) steps.push(step);
  return { steps, result: await stream.result, model, order: steps.map((s) => s.committed.map((c) => c.position)) };
}

/** Injected randomness: the given uniforms in order, then 0.5. */
export function scriptedRandom(values: readonly number[]) {
  let i = 0;
  const drawn: number[] = [];
  return {
    drawn,
    uniform(): number {
      const v = i < values.length ? (values[i] as number) : 0.5;
      i += 1;
      drawn.push(v);
      return v;
    },
  };
}
