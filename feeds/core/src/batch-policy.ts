/**
 * How long a tick item collects ticks before it is published (`batchMs`), from what the
 * items would cost the XMPP server. Its cost is per item (the publish) plus per
 * notification (the item × each subscriber of its node), while the ticks an item
 * carries cost little (docs/benchmarks.md, "Fan-out"): so when an instrument's items
 * are many, or its subscribers are, items get longer instead of more numerous, within
 * a latency budget.
 */
export interface BatchPolicyOptions {
  /** The shortest wait (ms): what a quiet desk gets. */
  minMs: number;
  /** The latency budget (ms): no tick waits longer than this for its item. */
  maxMs: number;
  /** Ticks per item at most; full items go out at once whatever the wait. */
  maxBatch: number;
  /** Server time per published item (µs), subscribers aside. */
  itemCostMicros: number;
  /** Server time per notification (µs): one item to one subscriber. */
  notificationCostMicros: number;
  /** Share of one server core the feed's tick items aim to stay under (0..1). */
  serverShare: number;
}

export interface NodeLoad {
  /** Ticks per second arriving for the node's instrument. */
  rate: number;
  /** Subscribers of the node (undefined: not known, counted as one). */
  subscribers: number | undefined;
}

/** Items per second one instrument's ticks make at `ms` of waiting. */
export function itemsPerSecond(rate: number, ms: number, maxBatch: number): number {
  if (rate <= 0) return 0;
  // An item per tick while ticks are further apart than the wait, an item per `ms`
  // beyond that, unless items fill up first.
  return Math.min(rate, Math.max(1000 / ms, rate / maxBatch));
}

/** Server cores these nodes' items would take at `ms` of waiting. */
export function serverCores(opts: BatchPolicyOptions, loads: readonly NodeLoad[], ms: number): number {
  return loads.reduce((sum, l) => {
    const perItem = opts.itemCostMicros + (l.subscribers ?? 1) * opts.notificationCostMicros;
    return sum + (itemsPerSecond(l.rate, ms, opts.maxBatch) * perItem) / 1e6;
  }, 0);
}

/**
 * The shortest wait in [minMs, maxMs] (whole ms) that keeps the server under its share.
 * When none does, the shortest wait that costs the server as little as maxMs would:
 * latency wins (the server then queues), and no tick waits for a saving that does not
 * come (slow instruments make an item per tick, full items go out at once).
 */
export function chooseBatchMs(opts: BatchPolicyOptions, loads: readonly NodeLoad[]): number {
  const min = Math.max(0, Math.ceil(opts.minMs));
  const max = Math.max(min, Math.floor(opts.maxMs));
  const least = serverCores(opts, loads, max);
  for (let ms = min; ms < max; ms++) {
    const cores = serverCores(opts, loads, ms);
    if (cores <= opts.serverShare || cores <= least * 1.001) return ms;
  }
  return max;
}
