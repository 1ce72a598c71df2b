/**
 * Times the steps before the features for a 30 s file: readWav (validation + wavefile decoding +
 * channel averaging) and resampling to 16 kHz, for 48 kHz stereo and 44.1 kHz mono 16-bit files.
 * Run: node --import tsx bench/wav-pipeline.bench.ts [runs]
 */
import { readWav } from '../src/wav/read-wav.js';
import { resample } from '../src/resample.js';
import { buildWav } from '../test-support/make-wav.js';

const runs = Number(process.argv[2] ?? 7);

function median(run: () => void): number {
  run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

for (const [rate, channels] of [
  [48000, 2],
  [44100, 1],
  [8000, 1],
] as const) {
  const data = new Uint8Array(30 * rate * channels * 2);
  const view = new DataView(data.buffer);
  for (let i = 0; i < data.length / 2; i++) view.setInt16(2 * i, Math.round(8000 * Math.sin(i * 0.01)), true);
  const wav = buildWav({ channels, sampleRate: rate, bitsPerSample: 16, data });
  const decoded = readWav(wav);
  const read = median(() => readWav(wav));
  const convert = median(() => resample(decoded.samples, rate, 16000));
  console.log(
    `30 s, ${rate} Hz, ${channels} ch, 16-bit: readWav ${read.toFixed(0)} ms, resample to 16 kHz ${convert.toFixed(0)} ms (median of ${runs})`,
  );
}
