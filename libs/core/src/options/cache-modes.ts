/** Key/value caching of a request; decoding/kv-cache-policy.ts says what each mode recomputes. */
export const CACHE_MODES = ['none', 'prefix', 'dual'] as const;
export type CacheMode = (typeof CACHE_MODES)[number];
