/**
 * Microphone recording in the browser, returned as a 16 kHz mono 16-bit WAV. Samples are taken
 * from a ScriptProcessorNode (supported everywhere, needs no separate worklet file) and
 * resampled from the device's rate. Recording stops by itself after `maxSeconds`.
 */
import { encodeWav16, resampleLinear } from './wav.js';

export const RECORDING_RATE = 16000;

export class MicrophoneRecording {
  private readonly chunks: Float32Array[] = [];
  private stopped = false;

  private constructor(
    private readonly stream: MediaStream,
    private readonly context: AudioContext,
    private readonly processor: ScriptProcessorNode,
    private readonly source: MediaStreamAudioSourceNode,
  ) {}

  static async start(maxSeconds: number, onAutoStop: () => void): Promise<MicrophoneRecording> {
    if (!navigator.mediaDevices?.getUserMedia)
      throw new Error('This browser cannot record audio here (a microphone needs https or localhost).');
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false },
    });
    const context = new AudioContext();
    const source = context.createMediaStreamSource(stream);
    const processor = context.createScriptProcessor(4096, 1, 1);
    const recording = new MicrophoneRecording(stream, context, processor, source);
    const limit = maxSeconds * context.sampleRate;
    processor.onaudioprocess = (event) => {
      if (recording.stopped) return;
      recording.chunks.push(new Float32Array(event.inputBuffer.getChannelData(0)));
      if (recording.sampleCount >= limit) onAutoStop();
    };
    source.connect(processor);
    processor.connect(context.destination);
    return recording;
  }

  get sampleCount(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }

  get seconds(): number {
    return this.sampleCount / this.context.sampleRate;
  }

  /** Stops the microphone and returns the recording as WAV bytes. */
  async stop(): Promise<Uint8Array<ArrayBuffer>> {
    this.stopped = true;
    this.source.disconnect();
    this.processor.disconnect();
    for (const track of this.stream.getTracks()) track.stop();
    const rate = this.context.sampleRate;
    await this.context.close();
    const all = new Float32Array(this.sampleCount);
    let offset = 0;
    for (const c of this.chunks) {
      all.set(c, offset);
      offset += c.length;
    }
    return encodeWav16(resampleLinear(all, rate, RECORDING_RATE), RECORDING_RATE);
  }
}
