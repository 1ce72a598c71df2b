/**
 * Times 10 s of 16 kHz audio -> Whisper input_features (80 and 128 bins, with the 30 s padding
 * and without), after warm-up; prints the median and the spread of several runs.
 * Run: node --import tsx bench/log-mel.bench.ts [runs]
 */
import { WhisperFeatureExtractor } from '../src/log-mel.js';

const runs = Number(process.argv[2] ?? 25);
const rate = 16000;
const audio = new Float32Array(10 * rate);
let seed = 1;
for (let i = 0; i < audio.length; i++) {
  seed = (seed * 1103515245 + 12345) % 2 ** 31; // deterministic speech-like noise + tones
  audio[i] = 0.3 * Math.sin((2 * Math.PI * 220 * i) / rate) + 0.1 * Math.sin((2 * Math.PI * 3100 * i) / rate) + 0.05 * (seed / 2 ** 31 - 0.5);
}

function time(label: string, run: () => void): void {
  for (let i = 0; i < 5; i++) run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(2);
  console.log(`${label}: median ${at(0.5)} ms (min ${at(0)}, p90 ${at(0.9)}) over ${runs} runs`);
}

for (const bins of [80, 128]) {
  const extractor = new WhisperFeatureExtractor({ feature_size: bins });
  time(`10 s -> ${bins} mel, padded to 30 s (3000 frames)`, () => extractor.extract(audio));
  time(`10 s -> ${bins} mel, unpadded (1000 frames)`, () => extractor.extract(audio, { padding: 'longest' }));
}
