/** What the routes share: configuration, the model (once loaded), the queue, metrics, shutdown. */
import type { Unmask } from '@unmask/pipeline';
import type { Admission } from './admission.js';
import type { Config } from './config.js';
import { ApiError } from './http/api-error.js';
import type { Metrics } from './metrics.js';

export class ModelState {
  unmask: Unmask | undefined;
  failure: string | undefined;

  /** The loaded model, or a 503 while it loads (or after it failed to). */
  require(): Unmask {
    if (this.unmask) return this.unmask;
    throw new ApiError(
      503,
      'service_unavailable',
      this.failure ? `the model failed to load: ${this.failure}` : 'the model is still loading',
      'model_not_ready',
    );
  }

  get id(): string {
    return this.unmask?.bundle.manifest.name ?? 'unmask';
  }
}

/** Where the server is in its life: set to draining when a shutdown starts (/readyz then fails). */
export class Lifecycle {
  draining = false;
}

export interface Services {
  readonly config: Config;
  readonly model: ModelState;
  readonly admission: Admission;
  readonly metrics: Metrics;
  readonly lifecycle: Lifecycle;
  /** Aborted when a drain runs out of time: every request still running is cancelled. */
  readonly shutdown: AbortController;
}
