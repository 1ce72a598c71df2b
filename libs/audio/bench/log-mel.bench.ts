/**
 * Times 10 s of 16 kHz audio -> Whisper input_features, for 80 and 128 mel bins, with the 30 s
 * padding (3000 frames) and without (1000 frames). Each case runs in its own Node process (as a
 * server would run one configuration), is warmed up, then timed over several runs; the median,
 * the minimum and the 90th percentile are printed.
 * Run: node --import tsx bench/log-mel.bench.ts [runs]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WhisperFeatureExtractor } from '../src/log-mel.js';

const runs = Number(process.argv[2] ?? 40);
const only = process.argv[3]; // "<bins>:<padding>" in a child process

function measure(bins: number, padding: 'max_length' | 'longest'): string {
  const rate = 16000;
  const audio = new Float32Array(10 * rate);
  let seed = 1;
  for (let i = 0; i < audio.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31; // deterministic tones + noise
    audio[i] =
      0.3 * Math.sin((2 * Math.PI * 220 * i) / rate) +
      0.1 * Math.sin((2 * Math.PI * 3100 * i) / rate) +
      0.05 * (seed / 2 ** 31 - 0.5);
  }
  const extractor = new WhisperFeatureExtractor({ feature_size: bins, padding });
  for (let i = 0; i < 10; i++) extractor.extract(audio);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    extractor.extract(audio);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(2);
  const frames = padding === 'max_length' ? '30 s padding, 3000 frames' : 'no padding, 1000 frames';
  return `10 s -> ${bins} mel (${frames}): median ${at(0.5)} ms (min ${at(0)}, p90 ${at(0.9)}) over ${runs} runs`;
}

if (only) {
  const [bins, padding] = only.split(':');
  console.log(measure(Number(bins), padding === 'longest' ? 'longest' : 'max_length'));
} else {
  const self = fileURLToPath(import.meta.url);
  for (const bins of [80, 128]) {
    for (const padding of ['max_length', 'longest']) {
      const child = spawnSync(process.execPath, [...process.execArgv, self, String(runs), `${bins}:${padding}`], {
        stdio: 'inherit',
      });
      if (child.status !== 0) process.exit(child.status ?? 1);
    }
  }
}
