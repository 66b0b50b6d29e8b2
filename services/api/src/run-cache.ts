import { LRUCache } from 'lru-cache';

/**
 * The candle route's cache of final-candle runs: lru-cache bounded by the bytes its values
 * are said to take (maxSize + sizeCalculation), each entry forgotten `ttlMs` after it was
 * set; undefined (no cache) at `maxBytes` 0. It replaced a hand-written byte LRU: as fast
 * within noise, and a hit keeps its entry recent at once, not once a second
 * (docs/benchmarks.md, "Candle cache").
 */
export function createRunCache<V extends object>({
  maxBytes,
  ttlMs,
  sizeOf,
  now = Date.now,
}: {
  maxBytes: number;
  ttlMs: number;
  sizeOf: (value: V) => number;
  now?: () => number;
}): LRUCache<string, V> | undefined {
  if (maxBytes <= 0) return undefined;
  return new LRUCache<string, V>({
    maxSize: maxBytes,
    sizeCalculation: sizeOf,
    ttl: ttlMs,
    // Read the clock on every get: entries expire by `now` exactly (tests move it by hand).
    ttlResolution: 0,
    perf: { now },
  });
}
