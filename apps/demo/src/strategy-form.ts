/**
 * A strategy fieldset: the decoding rule (confident with τ, fixed steps, threshold) and its
 * parameters, read into the `diffusion.strategy` object the API validates.
 */
import type { StrategyInput } from './api.js';

export type StrategyChoice = 'confident' | 'low_confidence' | 'threshold';

const NAMES: Record<StrategyChoice, string> = {
  confident: 'Confident (commit every token above τ)',
  low_confidence: 'Fixed steps (LLaDA low-confidence remasking)',
  threshold: 'Threshold (top-1 plus every token ≥ τ)',
};

export interface StrategyDefaults {
  name: StrategyChoice;
  threshold: number;
  steps: number;
  blockLength: number | null;
}

export interface StrategyForm {
  read(): StrategyInput;
  describe(): string;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** Builds the fieldset inside `host`; ids are prefixed with `id` so two forms can coexist. */
export function createStrategyForm(
  host: HTMLElement,
  id: string,
  legend: string,
  defaults: StrategyDefaults,
): StrategyForm {
  const select = el('select', { id: `${id}-name`, name: `${id}-name` });
  for (const [value, text] of Object.entries(NAMES))
    select.append(el('option', { value, selected: value === defaults.name }, text));
  const tau = el('input', {
    id: `${id}-tau`,
    type: 'number',
    min: '0.05',
    max: '1',
    step: '0.05',
    value: String(defaults.threshold),
  });
  const steps = el('input', {
    id: `${id}-steps`,
    type: 'number',
    min: '1',
    max: '64',
    step: '1',
    value: String(defaults.steps),
  });
  const block = el('input', {
    id: `${id}-block`,
    type: 'number',
    min: '1',
    max: '64',
    step: '1',
    value: defaults.blockLength === null ? '' : String(defaults.blockLength),
    placeholder: 'whole answer',
  });
  const field = (label: string, input: HTMLElement, help?: string) => {
    const wrap = el('div', { className: 'field inline' }, el('label', { htmlFor: input.id }, label), input);
    if (help) {
      const helpId = `${input.id}-help`;
      input.setAttribute('aria-describedby', helpId);
      wrap.append(el('p', { className: 'help', id: helpId }, help));
    }
    return wrap;
  };
  const tauField = field('Confidence threshold τ', tau);
  const stepsField = field(
    'Steps',
    steps,
    'Forward passes over the whole answer; must be a multiple of the number of blocks.',
  );
  const blockField = field(
    'Block length',
    block,
    'Semi-autoregressive blocks, left to right; must divide the answer canvas. Empty: one block.',
  );
  const fieldset = el(
    'fieldset',
    { className: 'strategy' },
    el('legend', {}, legend),
    field('Strategy', select),
    tauField,
    stepsField,
    blockField,
  );
  host.replaceChildren(fieldset);

  const sync = () => {
    const name = select.value as StrategyChoice;
    tauField.hidden = name === 'low_confidence';
    stepsField.hidden = name !== 'low_confidence';
  };
  select.addEventListener('change', sync);
  sync();

  const blockLength = (): number | undefined => (block.value.trim() === '' ? undefined : Number(block.value));
  return {
    read(): StrategyInput {
      const name = select.value as StrategyChoice;
      const block_length = blockLength();
      const common = block_length === undefined ? {} : { block_length };
      if (name === 'low_confidence') return { name, steps: Number(steps.value), ...common };
      return { name, threshold: Number(tau.value), ...common };
    },
    describe(): string {
      const s = this.read();
      const parts = [
        s.name === 'low_confidence'
          ? `fixed ${'steps' in s ? s.steps : ''} steps`
          : `${s.name} τ=${'threshold' in s ? s.threshold : ''}`,
      ];
      if (s.block_length !== undefined) parts.push(`blocks of ${s.block_length}`);
      return parts.join(', ');
    },
  };
}
