import { Type, type Static } from '@sinclair/typebox';
import { HOP_NAMES, type HopName } from './alert-hops.js';

/**
 * Upper bounds (ms, inclusive) of the latency histogram's buckets; one more bucket holds
 * what is above the last. Fixed, so distributions of different windows compare bucket by bucket.
 */
export const HOP_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 60_000] as const;

const pct = (p: string) =>
  Type.Optional(Type.Integer({ description: `${p}, ms (nearest rank: a value of the sample)` }));

/** One hop's distribution over a sample of alerts. */
export const HopStats = Type.Object(
  {
    count: Type.Integer({ minimum: 0, description: 'alerts in the sample that have this hop' }),
    p50: pct('median'),
    p90: pct('90th percentile'),
    p99: pct('99th percentile'),
    max: pct('largest'),
    buckets: Type.Array(Type.Integer({ minimum: 0 }), {
      description: 'counts per bucket of `bucketsMs` (≤ bound), then one for the rest',
    }),
  },
  { additionalProperties: false },
);
export type HopStats = Static<typeof HopStats>;

/** The nearest-rank percentiles, max and histogram of a sample of one hop. */
export function hopStats(values: readonly number[]): HopStats {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const buckets = new Array<number>(HOP_BUCKETS_MS.length + 1).fill(0);
  let b = 0;
  for (const v of sorted) {
    while (b < HOP_BUCKETS_MS.length && v > HOP_BUCKETS_MS[b]!) b += 1;
    buckets[b]! += 1;
  }
  if (n === 0) return { count: 0, buckets };
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * n) - 1)]!;
  return { count: n, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: sorted[n - 1]!, buckets };
}

/** GET /alerts/latency: each hop's distribution over the alerts fired in a window. */
export const HopLatency = Type.Object(
  {
    from: Type.String({ description: 'firedAt ≥ from, UTC' }),
    to: Type.String({ description: 'firedAt < to, UTC' }),
    sampled: Type.Integer({ minimum: 0, description: 'alerts read: the newest of the window, up to the sample limit' }),
    truncated: Type.Boolean({ description: 'true when the window holds more alerts than the sample limit' }),
    bucketsMs: Type.Array(Type.Integer(), { description: 'upper bounds of the histogram buckets, ms' }),
    hops: Type.Object(Object.fromEntries(HOP_NAMES.map((n) => [n, HopStats])) as Record<HopName, typeof HopStats>, {
      additionalProperties: false,
    }),
  },
  { additionalProperties: false },
);
export type HopLatency = Static<typeof HopLatency>;
