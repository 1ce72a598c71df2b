/** The demo page: inputs, strategy controls, runs and their denoising cards. */
import './style.css';
import { ApiError, fetchModel, streamCompletion, type AskOptions } from './api.js';
import { bytesToBase64, formatBytes, loadBlob, loadUrl, type LoadedMedia } from './media.js';
import { jobsFor, type Job, type Mode } from './jobs.js';
import { type MediaKind, Picks } from './picks.js';
import { wireRecordButton } from './record-button.js';
import { ResultCard, intentView } from './result-card.js';
import { GENERIC_QUESTIONS, loadSamples, type Samples } from './samples.js';
import { createStrategyForm } from './strategy-form.js';

const MAX_RECORD_SECONDS = 10;

const $ = <T extends HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node as T;
};

const form = $<HTMLFormElement>('ask');
const tabs = [...document.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
const errorBox = $<HTMLDivElement>('error');
const runButton = $<HTMLButtonElement>('run');
const stopButton = $<HTMLButtonElement>('stop');
const question = $<HTMLInputElement>('question');
const runs = $<HTMLDivElement>('runs');

const state: {
  mode: Mode;
  image: LoadedMedia | null;
  audio: LoadedMedia | null;
  imageSample: string | null;
  samples: Samples | null;
  abort: AbortController | null;
} = {
  mode: 'image',
  image: null,
  audio: null,
  imageSample: null,
  samples: null,
  abort: null,
};

const strategyA = createStrategyForm($('strategy-a'), 'a', 'Strategy A', {
  name: 'confident',
  threshold: 0.9,
  steps: 8,
  blockLength: null,
});
const strategyB = createStrategyForm($('strategy-b'), 'b', 'Strategy B', {
  name: 'low_confidence',
  threshold: 0.9,
  steps: 8,
  blockLength: null,
});

function showError(message: string | null): void {
  errorBox.hidden = message === null;
  errorBox.textContent = message ?? '';
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

const picks = new Picks((error) => showError(messageOf(error)));

// ---- modes (tabs with arrow-key navigation) ----
const MODE_HELP: Record<Mode, string> = {
  image: 'Ask a question about a picture of shapes: their colours, kinds, positions and count.',
  command:
    'Speak a smart-home command (lights, music, heat, volume, language, fetching things). The model transcribes it, extracts the intent as JSON and responds.',
  both: 'Pick an image and ask a question about it out loud: the model hears the question and looks at the image.',
};

function setMode(mode: Mode, focus = false): void {
  state.mode = mode;
  for (const tab of tabs) {
    const selected = tab.dataset.mode === mode;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    if (selected) {
      $('inputs').setAttribute('aria-labelledby', tab.id);
      if (focus) tab.focus();
    }
  }
  $('mode-help').textContent = MODE_HELP[mode];
  $('image-input').hidden = mode === 'command';
  $('audio-input').hidden = mode === 'image';
  $('question-input').hidden = mode !== 'image';
  renderClips();
}

tabs.forEach((tab, index) => {
  tab.addEventListener('click', () => setMode(tab.dataset.mode as Mode));
  tab.addEventListener('keydown', (event) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    const target =
      event.key === 'Home'
        ? tabs[0]
        : event.key === 'End'
          ? tabs[tabs.length - 1]
          : step
            ? tabs[(index + step + tabs.length) % tabs.length]
            : undefined;
    if (target) {
      event.preventDefault();
      setMode(target.dataset.mode as Mode, true);
    }
  });
});

// ---- images ----
function setImage(media: LoadedMedia, caption: string, sample: string | null): void {
  if (state.image) URL.revokeObjectURL(state.image.previewUrl);
  state.image = media;
  state.imageSample = sample;
  const img = $<HTMLImageElement>('image-preview-img');
  img.src = media.previewUrl;
  img.alt = caption;
  $('image-preview-caption').textContent = `${media.name} (${formatBytes(media.bytes.length)})`;
  $('image-preview').hidden = false;
  for (const b of document.querySelectorAll<HTMLButtonElement>('#gallery button'))
    b.setAttribute('aria-pressed', String(b.dataset.file === sample));
  renderSuggestions();
}

function renderSuggestions(): void {
  const sample = state.samples?.images.find((s) => s.file === state.imageSample);
  const list = sample ? Object.keys(sample.answers) : GENERIC_QUESTIONS;
  $('suggestions').replaceChildren(
    ...list.map((q) => {
      const chip = document.createElement('button');
      chip.type = 'button';
      chip.className = 'chip';
      chip.textContent = q;
      chip.addEventListener('click', () => {
        question.value = q;
        question.focus();
      });
      return chip;
    }),
  );
}

function renderGallery(samples: Samples): void {
  $('gallery').replaceChildren(
    ...samples.images.map((s, i) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'thumb';
      button.dataset.file = s.file;
      button.setAttribute('aria-pressed', 'false');
      button.setAttribute('aria-label', `Sample image ${i + 1}: ${s.alt}`);
      const img = document.createElement('img');
      img.src = `samples/${s.file}`;
      img.alt = '';
      img.width = 64;
      img.height = 64;
      button.append(img);
      button.addEventListener('click', () => picks.track(pickSampleImage(s.file, s.alt)));
      return button;
    }),
  );
}

async function pickSampleImage(file: string, alt: string): Promise<void> {
  const media = await picks.pick('image', loadUrl(`samples/${file}`, file));
  if (media) setImage(media, alt, file);
}

// ---- audio ----
function setAudio(media: LoadedMedia, caption: string): void {
  if (state.audio) URL.revokeObjectURL(state.audio.previewUrl);
  state.audio = media;
  const player = $<HTMLAudioElement>('audio-preview-player');
  player.src = media.previewUrl;
  player.setAttribute('aria-label', caption);
  $('audio-preview-caption').textContent = `${caption} — ${media.name} (${formatBytes(media.bytes.length)})`;
  $('audio-preview').hidden = false;
  for (const b of document.querySelectorAll<HTMLButtonElement>('#clips button'))
    b.setAttribute('aria-pressed', String(b.dataset.file === media.name));
}

function renderClips(): void {
  const samples = state.samples;
  if (!samples) return;
  const clips = samples.audio.filter((a) =>
    state.mode === 'both' ? a.file.startsWith('question') : a.file.startsWith('command'),
  );
  $('clips').replaceChildren(
    ...clips.map((clip) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'chip';
      button.dataset.file = clip.file;
      button.setAttribute('aria-pressed', String(state.audio?.name === clip.file));
      button.textContent = `“${clip.transcript}”`;
      button.addEventListener('click', () =>
        picks.track(
          (async () => {
            const media = await picks.pick('audio', loadUrl(`samples/${clip.file}`, clip.file));
            if (media) setAudio(media, `Sample clip: ${clip.transcript}`);
            if (state.mode === 'both' && !state.image && samples.questionImage) {
              const image = samples.images.find((s) => s.file === samples.questionImage);
              if (image) await pickSampleImage(image.file, image.alt);
            }
          })(),
        ),
      );
      return button;
    }),
  );
}

async function takeFile(file: File | undefined, kind: MediaKind): Promise<void> {
  if (!file) return;
  showError(null);
  const media = await picks.pick(kind, loadBlob(file, file.name));
  if (!media) return;
  if (kind === 'image') setImage(media, `Your image ${file.name}`, null);
  else setAudio(media, `Your file ${file.name}`);
}

$<HTMLInputElement>('image-file').addEventListener('change', (e) =>
  picks.track(takeFile((e.target as HTMLInputElement).files?.[0], 'image')),
);
$<HTMLInputElement>('audio-file').addEventListener('change', (e) =>
  picks.track(takeFile((e.target as HTMLInputElement).files?.[0], 'audio')),
);
for (const [zone, kind] of [
  ['image-drop', 'image'],
  ['audio-drop', 'audio'],
] as const) {
  const node = $(zone);
  node.addEventListener('dragover', (e) => {
    e.preventDefault();
    node.classList.add('over');
  });
  node.addEventListener('dragleave', () => node.classList.remove('over'));
  node.addEventListener('drop', (e) => {
    e.preventDefault();
    node.classList.remove('over');
    picks.track(takeFile(e.dataTransfer?.files[0], kind));
  });
}

wireRecordButton($<HTMLButtonElement>('record'), $('record-status'), MAX_RECORD_SECONDS, {
  onClick: () => showError(null),
  onError: showError,
  track: (task) => picks.track(task),
  async onRecorded(wav, seconds) {
    const media = await picks.pick(
      'audio',
      wav.then((bytes) => loadBlob(new Blob([bytes], { type: 'audio/wav' }), 'recording.wav')),
    );
    if (media) setAudio(media, `Your recording (${seconds.toFixed(1)} s)`);
  },
});

// ---- strategies ----
const compare = $<HTMLInputElement>('compare');
compare.addEventListener('change', () => {
  $('strategy-b').hidden = !compare.checked;
});

// ---- running ----
let runCount = 0;
async function runOne(card: ResultCard, options: AskOptions, job: Job, signal: AbortSignal): Promise<void> {
  const started = performance.now();
  try {
    const result = await streamCompletion(
      options,
      { onStep: (s) => card.onStep(s), onText: (t) => card.onText(t) },
      signal,
    );
    card.finish(result, performance.now() - started, job.label === 'Intent' ? intentView(result.text) : undefined);
  } catch (error) {
    if (signal.aborted) {
      card.fail(new Error('Stopped.'));
      return;
    }
    const err = error instanceof Error ? error : new Error(String(error));
    card.fail(err);
    throw err;
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  showError(null);
  if (picks.busy) {
    runButton.disabled = true;
    await picks.settled();
    runButton.disabled = false;
  }
  const jobs = jobsFor(state.mode, { hasImage: !!state.image, hasAudio: !!state.audio, question: question.value });
  if (typeof jobs === 'string') return showError(jobs);
  const media = {
    ...(state.mode !== 'command' && state.image
      ? { imageDataUrl: `data:${state.image.type};base64,${bytesToBase64(state.image.bytes)}` }
      : {}),
    ...(state.mode !== 'image' && state.audio ? { audioBase64: bytesToBase64(state.audio.bytes) } : {}),
  };
  const maxTokens = Number($<HTMLSelectElement>('max-tokens').value);
  const strategies = compare.checked
    ? ([
        ['A', strategyA],
        ['B', strategyB],
      ] as const)
    : ([['A', strategyA]] as const);

  state.abort?.abort();
  const abort = new AbortController();
  state.abort = abort;
  runButton.disabled = true;
  stopButton.disabled = false;
  runCount += 1;
  const run = document.createElement('section');
  run.className = 'run';
  run.setAttribute('aria-label', `Run ${runCount}`);
  runs.replaceChildren(run);
  try {
    for (const [j, job] of jobs.entries()) {
      const row = document.createElement('div');
      row.className = strategies.length > 1 ? 'pair' : 'single';
      run.append(row);
      await Promise.all(
        strategies.map(([name, strategy], s) => {
          const card = new ResultCard(
            row,
            `${job.label} — strategy ${name}`,
            `“${job.prompt}”, ${strategy.describe()}, ${maxTokens} tokens`,
            `run${runCount}-${j}-${s}`,
          );
          return runOne(card, { prompt: job.prompt, media, strategy: strategy.read(), maxTokens }, job, abort.signal);
        }),
      );
    }
  } catch (error) {
    if (!abort.signal.aborted)
      showError(error instanceof ApiError ? error.plain : error instanceof Error ? error.message : String(error));
  } finally {
    if (state.abort === abort) state.abort = null;
    runButton.disabled = false;
    stopButton.disabled = true;
  }
});

stopButton.addEventListener('click', () => state.abort?.abort());

// ---- start ----
async function connect(): Promise<void> {
  const status = $('model-status');
  try {
    const model = await fetchModel();
    status.textContent = model
      ? `Model ${model.id}: accepts ${model.modalities.join(', ')}; ${model.max_positions} positions.`
      : 'The server serves no model.';
  } catch (error) {
    if (error instanceof ApiError && error.status === 503) {
      status.textContent = 'The model is loading…';
      window.setTimeout(() => void connect(), 2000);
    } else {
      status.textContent = `Cannot reach the API: ${error instanceof ApiError ? error.plain : String(error)}`;
    }
  }
}

setMode('image');
renderSuggestions();
void connect();
loadSamples().then(
  (samples) => {
    state.samples = samples;
    renderGallery(samples);
    renderClips();
  },
  (error: unknown) => showError(error instanceof Error ? error.message : String(error)),
);
