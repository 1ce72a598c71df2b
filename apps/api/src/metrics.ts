/**
 * Prometheus metrics (prom-client, one registry per server): HTTP requests and latency by route
 * and status, queue depth, active generations, forward passes and tokens per request by outcome,
 * the model's load time, and the cross-request prefix cache (hits, misses, evictions, bytes).
 */
import type { PrefixCacheStats } from '@unmask/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type Outcome = 'completed' | 'cancelled' | 'timeout' | 'error';

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency (to the last byte) by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'unmask_queue_depth',
    help: 'Requests waiting for a decoding slot',
    registers: [this.registry],
  });
  readonly activeGenerations = new Gauge({
    name: 'unmask_active_generations',
    help: 'Requests holding a decoding slot',
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'unmask_queue_rejected_total',
    help: 'Requests refused with 429 because the queue was full',
    registers: [this.registry],
  });
  readonly generations = new Counter({
    name: 'unmask_generations_total',
    help: 'Generations by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly forwardPasses = new Histogram({
    name: 'unmask_forward_passes',
    help: 'Forward passes (denoising steps) per request, by outcome',
    labelNames: ['outcome'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });
  readonly completionTokens = new Histogram({
    name: 'unmask_completion_tokens',
    help: 'Answer tokens per completed request',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers: [this.registry],
  });
  readonly promptTokens = new Histogram({
    name: 'unmask_prompt_tokens',
    help: 'Prompt tokens per request (media placeholders included)',
    buckets: [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096],
    registers: [this.registry],
  });
  readonly modelLoadSeconds = new Gauge({
    name: 'unmask_model_load_seconds',
    help: 'Seconds the model bundle took to load',
    registers: [this.registry],
  });

  /** Where the prefix cache's figures are read at each scrape (set once the model is loaded). */
  prefixCacheStats: (() => PrefixCacheStats | undefined) | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const read = () => this.prefixCacheStats?.();
    const counter = (name: string, help: string, pick: (s: PrefixCacheStats) => number) =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          const stats = read();
          this.reset();
          if (stats) this.inc(pick(stats));
        },
      });
    const gauge = (name: string, help: string, pick: (s: PrefixCacheStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const stats = read();
          this.set(stats ? pick(stats) : 0);
        },
      });
    counter('unmask_prefix_cache_hits_total', 'Requests whose shared prompt prefix was already cached', (s) => s.hits);
    counter('unmask_prefix_cache_misses_total', 'Requests that computed their shared prompt prefix', (s) => s.misses);
    counter(
      'unmask_prefix_cache_evictions_total',
      'Shared prefixes dropped to stay within PREFIX_CACHE_BYTES',
      (s) => s.evictions,
    );
    gauge('unmask_prefix_cache_bytes', 'Bytes of keys/values of the shared prefixes kept', (s) => s.bytes);
    gauge('unmask_prefix_cache_entries', 'Shared prefixes kept', (s) => s.entries);
    gauge('unmask_prefix_cache_capacity_bytes', 'PREFIX_CACHE_BYTES', (s) => s.capacityBytes);
  }
}
