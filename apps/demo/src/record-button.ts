/** The Record button: starts a microphone recording, shows its length, and hands the WAV on when it stops. */
import { MicrophoneRecording } from './recorder.js';

export interface RecordButtonHooks {
  /** Called when a recording stops (by a click or at `maxSeconds`) with its WAV and length. */
  onRecorded(wav: Promise<Uint8Array<ArrayBuffer>>, seconds: number): Promise<void>;
  /** Runs the stopping (encoding the WAV, loading it) as a task the page waits for before a run. */
  track(task: Promise<void>): void;
  /** Called when recording cannot start (no microphone, permission denied). */
  onError(message: string): void;
  /** Called before a click is handled (clears the page's error). */
  onClick(): void;
}

export function wireRecordButton(
  button: HTMLButtonElement,
  status: HTMLElement,
  maxSeconds: number,
  hooks: RecordButtonHooks,
): void {
  let recording: MicrophoneRecording | null = null;
  let timer: number | undefined;

  const stop = async (): Promise<void> => {
    const current = recording;
    if (!current) return;
    recording = null;
    window.clearInterval(timer);
    button.setAttribute('aria-pressed', 'false');
    button.textContent = 'Record from the microphone';
    const seconds = current.seconds;
    await hooks.onRecorded(current.stop(), seconds);
    status.textContent = `Recorded ${seconds.toFixed(1)} s.`;
  };

  button.addEventListener('click', async () => {
    hooks.onClick();
    if (recording) return hooks.track(stop());
    try {
      recording = await MicrophoneRecording.start(maxSeconds, () => hooks.track(stop()));
      button.setAttribute('aria-pressed', 'true');
      button.textContent = 'Stop recording';
      status.textContent = 'Recording… 0.0 s';
      timer = window.setInterval(() => {
        if (recording) status.textContent = `Recording… ${recording.seconds.toFixed(1)} s (at most ${maxSeconds} s)`;
      }, 200);
    } catch (error) {
      hooks.onError(`Could not record: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}
