/**
 * The demo in a real browser (Debian's Chromium through playwright-core) against the real API
 * server and a real model bundle. With the tiny random bundle the answers are gibberish, so these
 * specs check behaviour: what the page shows equals what the server streamed, the canvas reaches
 * zero masks, the replay slider replays, errors read plainly, and the console stays clean. The
 * specs that check the answers themselves run once models/default exists.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { chooseModel, DEMO_ROOT, startApiServer, type RunningServer } from './api-server.js';
import { partsOf, promptOf, streamedBody, type Streamed } from './sse-capture.js';
import { demoSamplesSchema } from '@unmask/protocol';
import { buildIfStale } from '../scripts/build-if-stale.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * Screenshots go to tmp/demo-artifacts/ (test artifacts); UPDATE_SCREENSHOTS=1 refreshes the
 * committed copies in apps/demo/artifacts/ that the README shows.
 */
const ARTIFACTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(DEMO_ROOT, 'artifacts')
    : join(DEMO_ROOT, '..', '..', 'tmp', 'demo-artifacts');
const SAMPLES_DIR = join(DEMO_ROOT, 'public/samples');
const samples = demoSamplesSchema.parse(JSON.parse(readFileSync(join(SAMPLES_DIR, 'samples.json'), 'utf8')));
/** Small enough that a 10 s WAV (320 KB) is refused, large enough for every sample. */
const MEDIA_LIMIT_BYTES = 256 * 1024;
const model = chooseModel();
const NEEDS_REAL_MODEL = model.real
  ? false
  : 'the tiny random bundle answers gibberish; runs once models/default exists';

const normalise = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s{}":,_]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();

let server: RunningServer;
let browser: Browser;

before(async () => {
  // The page under test is built from the current sources first (as `npm start` does).
  buildIfStale();
  [server, browser] = await Promise.all([
    startApiServer(model.dir, { MEDIA_LIMIT_BYTES: String(MEDIA_LIMIT_BYTES) }),
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // playwright-core adds --headless and a fresh temporary --user-data-dir itself (it refuses
      // one passed in args) and removes that folder on close.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        // A fake microphone (a beep) and no permission prompt, for the recording spec.
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
      ],
    }),
  ]);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

interface Opened {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught exceptions and requests to anywhere but the server, so far. */
  errors: string[];
  /** Every chat completion response, in order. */
  completions: Response[];
}

async function open(width = 1280, height = 900): Promise<Opened> {
  const context = await browser.newContext({
    viewport: { width, height },
    deviceScaleFactor: 1,
    baseURL: server.origin,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  const completions: Response[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  // No request leaves the server: no CDN fonts or scripts.
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(`${server.origin}/`) && !url.startsWith('data:') && !url.startsWith('blob:'))
      errors.push(`external request: ${url}`);
  });
  page.on('response', (r) => {
    if (r.url().endsWith('/v1/chat/completions')) completions.push(r);
  });
  await page.goto('/');
  await page.locator('#gallery .thumb').first().waitFor();
  await page.waitForFunction(() => document.getElementById('model-status')?.textContent?.startsWith('Model '));
  return { page, context, errors, completions };
}

/** Waits for every card of the run to finish and returns their answers and masks. */
async function finishedCards(page: Page, count: number) {
  try {
    await page.waitForFunction((n) => {
      const cards = document.querySelectorAll('#runs .card');
      return cards.length === n && [...cards].every((c) => (c as HTMLElement).dataset.status !== 'running');
    }, count);
  } catch (error) {
    // Say what the page showed, so a stall can be told apart from a missing card.
    const seen = await page.$$eval('#runs .card', (cards) =>
      cards.map((c) => `${(c as HTMLElement).dataset.status}: ${c.querySelector('.card-status')?.textContent ?? ''}`),
    );
    const alert = await page.locator('#error').textContent();
    throw new Error(
      `expected ${count} finished cards, saw ${seen.length}: ${JSON.stringify(seen)}; error line: ${JSON.stringify(alert)}`,
      { cause: error },
    );
  }
  return page.$$eval('#runs .card', (cards) =>
    cards.map((c) => ({
      status: (c as HTMLElement).dataset.status,
      masks: Number((c as HTMLElement).dataset.masks),
      answer: c.querySelector('.answer')?.textContent ?? '',
      cells: c.querySelectorAll('.cell').length,
      masked: c.querySelectorAll('.cell.masked').length,
      sliderMax: Number((c.querySelector('.replay') as HTMLInputElement).max),
      statusText: c.querySelector('.card-status')?.textContent ?? '',
    })),
  );
}

function assertShowsStream(card: Awaited<ReturnType<typeof finishedCards>>[number], streamed: Streamed): void {
  assert.equal(card.status, 'done', card.statusText);
  assert.ok(streamed.done, 'the stream ended with [DONE]');
  assert.ok(streamed.steps.length > 0, 'the server streamed step events');
  assert.equal(card.answer, streamed.text, 'the answer shown is the text the server streamed');
  const canvasLength = streamed.steps[0]?.canvas_length ?? -1;
  assert.equal(card.cells, canvasLength, 'one cell per canvas position');
  assert.equal(streamed.steps.at(-1)?.masks_remaining, 0);
  assert.equal(card.masks, 0, 'the canvas reaches zero masks');
  assert.equal(card.masked, 0);
  assert.equal(card.sliderMax, streamed.steps.length, 'the slider spans every step');
}

const imageSample = samples.images[2] ?? samples.images[0]!;
const imageQuestion =
  Object.keys(imageSample.answers).find((q) => q.startsWith('what color')) ?? 'how many shapes are there';
const commandClip = samples.audio.find((a) => a.file.startsWith('command'))!;
const questionClip = samples.audio.find((a) => a.file.startsWith('question'))!;

async function askAboutSampleImage(o: Opened): Promise<Streamed> {
  const { page } = o;
  await page.getByRole('button', { name: `Sample image 3: ${imageSample.alt}` }).click();
  await page.getByRole('button', { name: imageQuestion, exact: true }).click();
  assert.equal(await page.getByRole('textbox', { name: 'Question' }).inputValue(), imageQuestion);
  await page.getByRole('button', { name: 'Run' }).click();
  await finishedCards(page, 1);
  assert.equal(o.completions.length, 1);
  return streamedBody(o.completions[0]!);
}

describe(`the demo page, served by the API on ${model.real ? 'models/default' : 'the tiny random multimodal bundle'}`, () => {
  it('loads from / with the served model, the sample gallery and the strategy controls, labels every control, and takes a dropped image', async () => {
    const o = await open();
    const { page } = o;
    assert.match((await page.locator('#model-status').textContent()) ?? '', /accepts text, image, audio/);
    assert.equal(await page.locator('#gallery .thumb').count(), samples.images.length);
    assert.ok(await page.getByLabel('Confidence threshold τ').first().isVisible());
    // Every visible control has an accessible name.
    const unnamed = await page.$$eval('input, select, button', (nodes) =>
      nodes
        .filter((n) => (n as HTMLElement).offsetParent !== null && (n as HTMLInputElement).type !== 'hidden')
        .filter((n) => {
          const el = n as HTMLInputElement;
          const byLabel = el.labels && el.labels.length > 0;
          return (
            !byLabel &&
            !el.getAttribute('aria-label') &&
            !el.getAttribute('aria-labelledby') &&
            !(el.textContent ?? '').trim()
          );
        })
        .map((n) => n.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(unnamed, []);

    // An image dropped on the drop zone becomes the image to ask about.
    const png = readFileSync(join(SAMPLES_DIR, 'shapes-4.png')).toString('base64');
    await page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
      document
        .getElementById('image-drop')
        ?.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, png);
    await page.waitForFunction(() =>
      /dropped\.png/.test(document.getElementById('image-preview-caption')?.textContent ?? ''),
    );
    assert.equal(await page.locator('#image-preview').isVisible(), true);
    assert.deepEqual(o.errors, []);
    await o.context.close();
  });

  it('answers a question about a sample image: the streamed text appears, the canvas reaches zero masks, and the slider replays the steps', async () => {
    const o = await open();
    const { page } = o;
    const streamed = await askAboutSampleImage(o);
    assert.deepEqual(partsOf(streamed), ['image_url', 'text']);
    assert.equal(promptOf(streamed), imageQuestion);
    assert.equal(streamed.request.diffusion?.stream_steps, true);
    assert.deepEqual(streamed.request.diffusion?.strategy, { name: 'confident', threshold: 0.9 });
    const [card] = await finishedCards(page, 1);
    assertShowsStream(card!, streamed);
    // Forward passes shown are the usage's.
    assert.equal(
      await page.locator('.card .stat', { hasText: 'Forward passes' }).locator('dd').textContent(),
      String(streamed.usage?.forward_passes),
    );

    // Replay with the keyboard: Home is step 0 (all masked), then one step at a time.
    const slider = page.getByRole('slider', { name: 'Step', exact: true });
    await slider.focus();
    await page.keyboard.press('Home');
    const length = streamed.steps[0]!.canvas_length;
    assert.equal(await page.locator('.card').getAttribute('data-shown-step'), '0');
    assert.equal(await page.locator('.card .cell.masked').count(), length);
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.locator('.card').getAttribute('data-shown-step'), '1');
    assert.equal(await page.locator('.card .cell.masked').count(), streamed.steps[0]!.masks_remaining);
    assert.equal(
      await page.locator('.card .cell.fresh').count(),
      streamed.steps[0]!.committed.length,
      'the first step’s tokens are highlighted',
    );
    await page.keyboard.press('End');
    assert.equal(await page.locator('.card .cell.masked').count(), 0);
    assert.deepEqual(o.errors, []);
    await o.context.close();
  });

  it('runs a spoken command from an uploaded WAV: transcript, intent and response, each shown as streamed', async () => {
    const o = await open();
    const { page } = o;
    await page.getByRole('tab', { name: 'Image question' }).focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('tab', { name: 'Spoken command' }).getAttribute('aria-selected'), 'true');
    await page.getByLabel('Drop a WAV file here, or choose one').setInputFiles(join(SAMPLES_DIR, commandClip.file));
    await page.locator('#audio-preview').waitFor();
    await page.getByRole('button', { name: 'Run' }).click();
    const cards = await finishedCards(page, 3);
    assert.equal(o.completions.length, 3);
    for (const [i, response] of o.completions.entries()) {
      const streamed = await streamedBody(response);
      assert.deepEqual(partsOf(streamed), ['input_audio', 'text']);
      assertShowsStream(cards[i]!, streamed);
    }
    assert.deepEqual(await Promise.all(o.completions.map(async (r) => promptOf(await streamedBody(r)))), [
      'transcribe the audio',
      'extract the intent as json',
      'respond to the request',
    ]);
    assert.deepEqual(o.errors, []);
    await o.context.close();
  });

  it('asks a spoken question about an image: both go in one request', async () => {
    const o = await open();
    const { page } = o;
    await page.getByRole('tab', { name: 'Spoken question about an image' }).click();
    await page.getByRole('button', { name: `“${questionClip.transcript}”` }).click();
    await page.locator('#image-preview').waitFor(); // the clip's image is picked with it
    await page.getByRole('button', { name: 'Run' }).click();
    const [card] = await finishedCards(page, 1);
    const streamed = await streamedBody(o.completions[0]!);
    assert.deepEqual(partsOf(streamed), ['image_url', 'input_audio', 'text']);
    assert.equal(promptOf(streamed), 'answer the spoken question');
    assertShowsStream(card!, streamed);
    assert.deepEqual(o.errors, []);
    await o.context.close();
  });

  it('records from the microphone as a 16 kHz 16-bit WAV and sends it', async () => {
    const o = await open();
    const { page } = o;
    await page.getByRole('tab', { name: 'Spoken question about an image' }).click();
    await page.getByRole('button', { name: /^Sample image 1/ }).click();
    await page.getByRole('button', { name: 'Record from the microphone' }).click();
    await page.waitForFunction(() =>
      /Recording… [1-9]/.test(document.getElementById('record-status')?.textContent ?? ''),
    );
    await page.getByRole('button', { name: 'Stop recording' }).click();
    await page.locator('#audio-preview').waitFor();
    assert.match((await page.locator('#audio-preview-caption').textContent()) ?? '', /Your recording/);
    await page.getByRole('button', { name: 'Run' }).click();
    const [card] = await finishedCards(page, 1);
    const streamed = await streamedBody(o.completions[0]!);
    const audio = (
      streamed.request.messages[0]?.content as { type: string; input_audio?: { data: string } }[] | undefined
    )?.find((p) => p.type === 'input_audio');
    const wav = Buffer.from(audio?.input_audio?.data ?? '', 'base64');
    assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
    assert.equal(wav.readUInt32LE(24), 16000);
    assert.equal(wav.readUInt16LE(34), 16);
    assert.ok(wav.length > 44 + 16000 * 2 * 0.5, 'at least half a second of sound');
    assertShowsStream(card!, streamed);
    assert.deepEqual(o.errors, []);
    await o.context.close();
  });

  it('shows the API’s error plainly for an oversized file and for a file that is not an image', async () => {
    const o = await open();
    const { page } = o;
    // 10 s of 16 kHz 16-bit silence: 320 KB, over the server's MEDIA_LIMIT_BYTES of 256 KB.
    const big = Buffer.alloc(44 + 320_000);
    big.write('RIFF', 0, 'ascii');
    big.writeUInt32LE(big.length - 8, 4);
    big.write('WAVEfmt ', 8, 'ascii');
    big.writeUInt32LE(16, 16);
    big.writeUInt16LE(1, 20);
    big.writeUInt16LE(1, 22);
    big.writeUInt32LE(16000, 24);
    big.writeUInt32LE(32000, 28);
    big.writeUInt16LE(2, 32);
    big.writeUInt16LE(16, 34);
    big.write('data', 36, 'ascii');
    big.writeUInt32LE(320_000, 40);
    await page.getByRole('tab', { name: 'Spoken command' }).click();
    await page
      .getByLabel('Drop a WAV file here, or choose one')
      .setInputFiles({ name: 'long.wav', mimeType: 'audio/wav', buffer: big });
    await page.getByRole('button', { name: 'Run' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    assert.match(text, /^The file is too large\. /);
    assert.match(text, /HTTP 413, too_large/);
    assert.match(text, /large|limit|bytes/i);
    assert.equal(await page.locator('.card[data-status="error"]').count(), 1);

    await page.getByRole('tab', { name: 'Image question' }).click();
    await page
      .getByLabel('Drop an image here, or choose a file')
      .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
    await page.getByRole('button', { name: 'Run' }).click();
    await page.waitForFunction(() => /HTTP 415/.test(document.getElementById('error')?.textContent ?? ''));
    assert.match(
      (await alert.textContent()) ?? '',
      /^That file type is not supported\. .*\[HTTP 415, unsupported_media_type\]$/,
    );
    // The only console errors are the browser's own notes of the two refused requests.
    assert.deepEqual(
      o.errors.filter((e) => !/Failed to load resource: the server responded with a status of (413|415)/.test(e)),
      [],
    );
    await o.context.close();
  });

  it('runs two strategies side by side on the same input', async () => {
    const o = await open();
    const { page } = o;
    await page.getByLabel('Answer canvas (tokens)').selectOption('16');
    await page.getByLabel('Side by side: run a second strategy on the same input').check();
    await page.locator('#b-steps').fill('4');
    await page.locator('#b-block').fill('8');
    await page.getByRole('button', { name: /^Sample image 2/ }).click();
    await page.getByRole('button', { name: 'Run' }).click();
    const cards = await finishedCards(page, 2);
    assert.equal(o.completions.length, 2);
    const runs = await Promise.all(o.completions.map(streamedBody));
    const byStrategy = new Map(runs.map((r) => [String(r.request.diffusion?.strategy?.name), r]));
    const a = byStrategy.get('confident');
    const b = byStrategy.get('low_confidence');
    assert.ok(a && b, 'one request per strategy');
    assert.deepEqual(b.request.diffusion?.strategy, { name: 'low_confidence', steps: 4, block_length: 8 });
    assert.equal(a.request.max_tokens, 16);
    assert.deepEqual(a.request.messages, b.request.messages, 'the same input');
    assertShowsStream(cards[0]!, a);
    assertShowsStream(cards[1]!, b);
    assert.ok((b.usage?.forward_passes ?? 99) <= 4, 'fixed steps: at most 4 forward passes');
    assert.deepEqual(new Set(b.steps.map((s) => s.block)), new Set([0, 1]), 'two blocks of 8');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, 'demo-side-by-side.png') });
    assert.deepEqual(o.errors, []);
    await o.context.close();
  });

  it('waits for a sample clicked just before Run, and asks about that sample', async () => {
    const o = await open();
    const { page } = o;
    const file = samples.images[1]!.file;
    // The sample arrives slowly (a busy server, a slow network): Run is clicked before it has.
    await page.route(`**/samples/${file}`, async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.getByRole('button', { name: /^Sample image 2/ }).click();
    await page.getByRole('textbox', { name: 'Question' }).fill('how many shapes are there');
    await page.getByRole('button', { name: 'Run' }).click();
    const [card] = await finishedCards(page, 1);
    assert.equal(await page.locator('#error').isVisible(), false, 'no "Choose an image first"');
    const streamed = await streamedBody(o.completions[0]!);
    const image = (
      streamed.request.messages[0]?.content as { type: string; image_url?: { url: string } }[] | undefined
    )?.find((p) => p.type === 'image_url');
    const sent = Buffer.from((image?.image_url?.url ?? '').replace(/^data:image\/png;base64,/, ''), 'base64');
    assert.ok(sent.equals(readFileSync(join(SAMPLES_DIR, file))), `the request carries ${file}`);
    assertShowsStream(card!, streamed);
    assert.deepEqual(o.errors, []);
    await o.context.close();
  });

  it('fits a 360 px phone screen and a 1280 px desktop (screenshots in tmp/demo-artifacts/)', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const [name, width, height] of [
      ['desktop', 1280, 860],
      ['phone', 360, 780],
    ] as const) {
      const o = await open(width, height);
      const { page } = o;
      await askAboutSampleImage(o);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling at ${width} px (overflow ${overflow} px)`);
      // Halfway through the replay: masked cells, the step's new tokens, and confidences.
      const steps = Number(await page.locator('.card .replay').getAttribute('max'));
      await page.getByRole('slider', { name: 'Step', exact: true }).focus();
      await page.keyboard.press('Home');
      for (let i = 0; i < Math.floor(steps / 2); i++) await page.keyboard.press('ArrowRight');
      assert.equal(await page.locator('.card').getAttribute('data-shown-step'), String(Math.floor(steps / 2)));
      if (name === 'phone') await page.locator('#results').scrollIntoViewIfNeeded();
      else await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(ARTIFACTS, `demo-${name}.png`) });
      assert.deepEqual(o.errors, []);
      await o.context.close();
    }
  });
});

describe('the answers of the default model in the demo', () => {
  it(`answers “${imageQuestion}” about a sample image correctly`, { skip: NEEDS_REAL_MODEL }, async () => {
    const o = await open();
    const streamed = await askAboutSampleImage(o);
    assert.equal(normalise(streamed.text), normalise(imageSample.answers[imageQuestion]!));
    // A short answer on a 32-token canvas: the rest is end-of-text, shown as a word, not a glyph box.
    const ends = await o.page.$$eval('.card .cell.eos .token', (nodes) => nodes.map((n) => n.textContent));
    assert.ok(ends.length > 0, 'the canvas has end-of-text cells');
    assert.deepEqual(new Set(ends), new Set(['end']));
    await o.context.close();
  });

  it('transcribes a spoken command, extracts its intent and responds to it', { skip: NEEDS_REAL_MODEL }, async () => {
    const o = await open();
    const { page } = o;
    await page.getByRole('tab', { name: 'Spoken command' }).click();
    await page.getByRole('button', { name: `“${commandClip.transcript}”` }).click();
    await page.locator('#audio-preview').waitFor();
    await page.getByRole('button', { name: 'Run' }).click();
    await finishedCards(page, 3);
    const texts = await Promise.all(o.completions.map(async (r) => (await streamedBody(r)).text));
    assert.equal(normalise(texts[0]!), normalise(commandClip.answers['transcribe the audio']!));
    assert.deepEqual(JSON.parse(texts[1]!), JSON.parse(commandClip.answers['what is the intent']!));
    assert.equal(normalise(texts[2]!), normalise(commandClip.answers['respond to the request']!));
    await o.context.close();
  });

  it('answers a spoken question about an image', { skip: NEEDS_REAL_MODEL }, async () => {
    const o = await open();
    const { page } = o;
    await page.getByRole('tab', { name: 'Spoken question about an image' }).click();
    await page.getByRole('button', { name: `“${questionClip.transcript}”` }).click();
    await page.locator('#image-preview').waitFor();
    await page.getByRole('button', { name: 'Run' }).click();
    await finishedCards(page, 1);
    const streamed = await streamedBody(o.completions[0]!);
    assert.equal(normalise(streamed.text), normalise(questionClip.answers['answer the spoken question']!));
    await o.context.close();
  });
});
