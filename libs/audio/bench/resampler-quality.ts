/**
 * Measures the resampler on a stepped sine sweep, for common input rates -> 16 kHz:
 * - passband error: worst |gain| in dB of tones from 20 Hz up to the passband edge;
 * - residual: worst level (dB below the tone) of what is not the tone itself (aliases,
 *   images, filter noise) for those passband tones;
 * - aliasing: worst output level (dB re. the input tone) for tones between 8 kHz and the
 *   input Nyquist frequency, everything of which would alias.
 * Run: node --import tsx bench/resampler-quality.ts
 */
import { resample, TRANSITION } from '../src/resample.js';
import { dB, fitTone, tone } from '../test-support/tones.js';

const TO = 16000;
const rates = [8000, 11025, 22050, 24000, 32000, 44100, 48000, 96000];
console.log(`transition band: ${(TRANSITION * 100).toFixed(2)} % of the lower rate`);
console.log('from Hz | passband edge Hz | passband error dB | worst residual dB | worst alias dB | ms per s of audio');
for (const from of rates) {
  const lower = Math.min(from, TO);
  const edge = lower * (0.5 - TRANSITION);
  let passErr = 0,
    residual = -Infinity,
    alias = -Infinity,
    ms = 0,
    runs = 0;
  for (let f = 20; f <= edge; f += 97) {
    const t0 = performance.now();
    const out = resample(tone(from, f, 1), from, TO);
    ms += performance.now() - t0;
    runs++;
    const fit = fitTone(out, TO, f, 2000, out.length - 2000);
    passErr = Math.max(passErr, Math.abs(dB(fit.amplitude)));
    residual = Math.max(residual, dB(fit.residualRms / (fit.amplitude / Math.SQRT2)));
  }
  for (let f = TO / 2; from > TO && f < from / 2; f += 101) {
    const out = resample(tone(from, f, 1), from, TO);
    const fit = fitTone(out, TO, 1000, 2000, out.length - 2000); // only .rms is used
    alias = Math.max(alias, dB(fit.rms / Math.SQRT1_2));
  }
  console.log(
    `${from} | ${edge.toFixed(0)} | ${passErr.toExponential(2)} | ${residual.toFixed(1)} | ${from > TO ? alias.toFixed(1) : 'n/a'} | ${(ms / runs).toFixed(1)}`,
  );
}

const gains = [7048, 7250, 7500, 7750, 7900, 7975].map((f) => {
  const out = resample(tone(48000, f, 1), 48000, TO);
  return `${f} Hz ${dB(fitTone(out, TO, f, 2000, out.length - 2000).amplitude).toFixed(2)} dB`;
});
console.log(`transition band, 48 kHz -> 16 kHz: ${gains.join(', ')}`);
