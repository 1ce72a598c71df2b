/**
 * One run's card: the answer text as it streams, the denoising canvas (masked cells filling in,
 * the step's new tokens highlighted, each token's confidence), the replay slider and the stats.
 */
import type { DiffusionStep } from '@unmask/protocol';
import type { ApiError, StreamResult } from './api.js';
import { canvasAt, cellLabel, describeCell, runStats } from './denoising.js';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

export class ResultCard {
  readonly root = el('article', 'card');
  private readonly answer = el('output', 'answer');
  private readonly canvas = el('div', 'canvas');
  private readonly slider = el('input', 'replay');
  private readonly stepOf = el('span', 'step-of');
  private readonly stats = el('dl', 'stats');
  private readonly status = el('p', 'card-status');
  private readonly extra = el('div', 'extra');
  private readonly steps: DiffusionStep[] = [];
  private shown = 0;
  private following = true;

  constructor(
    parent: HTMLElement,
    readonly title: string,
    subtitle: string,
    idPrefix: string,
  ) {
    this.root.dataset.status = 'running';
    const heading = el('h3', '', title);
    heading.id = `${idPrefix}-title`;
    this.root.setAttribute('aria-labelledby', heading.id);
    const sub = el('p', 'card-sub', subtitle);
    const answerLabel = el('p', 'answer-label', 'Answer');
    answerLabel.id = `${idPrefix}-answer-label`;
    this.answer.setAttribute('aria-labelledby', answerLabel.id);
    this.answer.setAttribute('aria-live', 'polite');
    this.canvas.setAttribute('role', 'list');
    this.canvas.setAttribute('aria-label', `Answer canvas of ${title}`);
    this.slider.type = 'range';
    this.slider.min = '0';
    this.slider.max = '0';
    this.slider.value = '0';
    this.slider.id = `${idPrefix}-step`;
    this.slider.disabled = true;
    const sliderLabel = el('label', '', 'Step');
    sliderLabel.htmlFor = this.slider.id;
    const replay = el('div', 'replay-row');
    replay.append(sliderLabel, this.slider, this.stepOf);
    this.slider.addEventListener('input', () => {
      this.following = Number(this.slider.value) === this.steps.length;
      this.show(Number(this.slider.value));
    });
    this.status.textContent = 'Waiting for the first step…';
    this.root.append(heading, sub, answerLabel, this.answer, this.canvas, replay, this.stats, this.extra, this.status);
    parent.append(this.root);
    this.renderStats();
  }

  onStep(step: DiffusionStep): void {
    this.steps.push(step);
    this.slider.max = String(this.steps.length);
    if (this.following) {
      this.slider.value = String(this.steps.length);
      this.show(this.steps.length);
    } else {
      this.stepOf.textContent = `${this.shown} / ${this.steps.length}`;
    }
    this.status.textContent = `Decoding… step ${step.step}, ${step.masks_remaining} masks left`;
    this.renderStats();
  }

  onText(text: string): void {
    this.answer.textContent = text;
  }

  finish(result: StreamResult, elapsedMs: number, extra?: Node): void {
    this.answer.textContent = result.text;
    this.root.dataset.status = 'done';
    this.slider.disabled = this.steps.length === 0;
    this.status.textContent = `Done in ${Math.round(elapsedMs)} ms${result.finishReason ? ` (finish reason: ${result.finishReason})` : ''}.`;
    if (extra) this.extra.replaceChildren(extra);
    this.renderStats(result);
  }

  fail(error: ApiError | Error): void {
    this.root.dataset.status = 'error';
    this.slider.disabled = this.steps.length === 0;
    this.status.textContent = `Failed: ${'plain' in error ? (error as ApiError).plain : error.message}`;
    this.status.classList.add('error-text');
  }

  /** Renders the canvas as it was after `upTo` steps. */
  private show(upTo: number): void {
    this.shown = upTo;
    const cells = canvasAt(this.steps, upTo);
    const nodes = cells.map((cell) => {
      const node = el(
        'span',
        `cell ${cell.text === null ? 'masked' : 'filled'}${cell.fresh ? ' fresh' : ''}${cell.text === '' ? ' eos' : ''}`,
      );
      node.setAttribute('role', 'listitem');
      node.setAttribute('aria-label', describeCell(cell));
      node.title = describeCell(cell);
      const token = el('span', 'token', cell.text === null ? '' : cellLabel(cell));
      const bar = el('span', 'confidence');
      const level = cell.confidence ?? (cell.text === null ? 0 : 1);
      bar.style.setProperty('--confidence', String(level));
      const number = el(
        'span',
        'conf-number',
        cell.text === null ? '' : cell.confidence === null ? '–' : cell.confidence.toFixed(2),
      );
      node.append(token, bar, number);
      return node;
    });
    this.canvas.replaceChildren(...nodes);
    const masks = cells.filter((c) => c.text === null).length;
    this.root.dataset.masks = String(masks);
    this.root.dataset.shownStep = String(upTo);
    this.stepOf.textContent = `${upTo} / ${this.steps.length}`;
    this.slider.setAttribute('aria-valuetext', `step ${upTo} of ${this.steps.length}, ${masks} masked`);
    if (this.root.dataset.status !== 'running') this.renderStats(this.result);
  }

  private result: StreamResult | undefined;

  private renderStats(result?: StreamResult): void {
    if (result) this.result = result;
    const r = this.result;
    const s = runStats(this.steps);
    const rows: [string, string][] = [
      ['Forward passes', String(r?.usage?.forward_passes ?? s.forwardPasses)],
      ['Answer tokens', r?.usage ? String(r.usage.completion_tokens) : `${s.filled} / ${s.canvasLength}`],
      ['Canvas positions', String(s.canvasLength)],
      ['Tokens per step', s.tokensPerStep.toFixed(2)],
      [
        this.shown < this.steps.length ? `Masks at step ${this.shown}` : 'Masks left',
        this.root.dataset.masks ?? String(s.masksRemaining),
      ],
      ['Engine time', `${s.elapsedMs.toFixed(0)} ms`],
    ];
    this.stats.replaceChildren(
      ...rows.map(([k, v]) => {
        const group = el('div', 'stat');
        group.append(el('dt', '', k), el('dd', '', v));
        return group;
      }),
    );
  }
}

/** The intent answer's extra view: its JSON laid out, or a note that it is not valid JSON. */
export function intentView(text: string): Node {
  const box = document.createElement('div');
  try {
    const parsed: unknown = JSON.parse(text);
    const pre = el('pre', 'json', JSON.stringify(parsed, null, 2));
    box.append(pre);
  } catch {
    box.className = 'help';
    box.textContent = 'The answer is not valid JSON.';
  }
  return box;
}
