import type { TickOutcome } from './source.js';
import type { AcceptedTick } from './validator.js';

/** An accepted tick with its source's outcome callback (source.ts), if any. */
export interface BatchedTick extends AcceptedTick {
  settled?: (outcome: TickOutcome) => void;
}

/** The ticks of one instrument for one item, oldest first. */
export interface PendingBatch {
  symbol: string;
  ticks: BatchedTick[];
  conflated: number;
}

export interface BatcherOptions {
  /** Ticks of one instrument per item at most. */
  maxBatch: number;
  /** Ticks kept per instrument while publishing is behind; beyond it the oldest are conflated away. */
  maxPending: number;
}

/**
 * Per-instrument pending ticks. Under backpressure memory stays bounded: once an
 * instrument holds `maxPending` ticks, the oldest are dropped and counted, and the
 * next batch says how many (`conflated`), so subscribers see the gap explicitly.
 */
export function createTickBatcher({ maxBatch, maxPending }: BatcherOptions) {
  // `head` marks the oldest live tick: dropping is O(1), compaction is amortised.
  const pending = new Map<string, { ticks: BatchedTick[]; head: number; conflated: number }>();
  let total = 0;
  let conflatedTotal = 0;

  return {
    /** Adds a tick; returns how many ticks of its instrument are now pending. */
    add(tick: BatchedTick): number {
      let p = pending.get(tick.symbol);
      if (!p) pending.set(tick.symbol, (p = { ticks: [], head: 0, conflated: 0 }));
      p.ticks.push(tick);
      total += 1;
      if (p.ticks.length - p.head > maxPending) {
        p.ticks[p.head]!.settled?.('dropped');
        p.head += 1;
        p.conflated += 1;
        total -= 1;
        conflatedTotal += 1;
        if (p.head >= maxPending) {
          p.ticks = p.ticks.slice(p.head);
          p.head = 0;
        }
      }
      return p.ticks.length - p.head;
    },
    /**
     * Take the next ready batch of one instrument, round-robin over instruments with
     * ticks. A batch is ready when it is full or `ready` says so from its instrument and
     * its oldest tick's ingest time (µs); by default every batch is ready.
     */
    take(ready: (symbol: string, oldestMicros: number) => boolean = () => true): PendingBatch | undefined {
      for (const [symbol, p] of pending) {
        const live = p.ticks.length - p.head;
        if (live === 0) continue;
        if (live < maxBatch && !ready(symbol, p.ticks[p.head]!.ingestMicros)) continue;
        const n = Math.min(live, maxBatch);
        const ticks = p.head === 0 && n === p.ticks.length ? p.ticks : p.ticks.slice(p.head, p.head + n);
        if (n === live) {
          p.ticks = [];
          p.head = 0;
        } else {
          p.head += n;
          if (p.head >= maxPending) {
            p.ticks = p.ticks.slice(p.head);
            p.head = 0;
          }
        }
        total -= ticks.length;
        const batch = { symbol, ticks, conflated: p.conflated };
        p.conflated = 0;
        // Move to the back so a busy instrument cannot starve the others.
        pending.delete(symbol);
        pending.set(symbol, p);
        return batch;
      }
      return undefined;
    },
    /** Ingest time (µs) of the oldest pending tick, or undefined when nothing is pending. */
    oldest(): number | undefined {
      let oldest: number | undefined;
      for (const p of pending.values()) {
        if (p.ticks.length === p.head) continue;
        const t = p.ticks[p.head]!.ingestMicros;
        if (oldest === undefined || t < oldest) oldest = t;
      }
      return oldest;
    },
    get pending(): number {
      return total;
    },
    get conflated(): number {
      return conflatedTotal;
    },
  };
}
export type TickBatcher = ReturnType<typeof createTickBatcher>;
