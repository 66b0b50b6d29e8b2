import type { Tick, TickBatch } from '@tickdesk/schemas';

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
  const pending = new Map<string, { ticks: Tick[]; head: number; conflated: number }>();
  let total = 0;
  let conflatedTotal = 0;

  return {
    add(tick: Tick): void {
      let p = pending.get(tick.symbol);
      if (!p) pending.set(tick.symbol, (p = { ticks: [], head: 0, conflated: 0 }));
      p.ticks.push(tick);
      total += 1;
      if (p.ticks.length - p.head > maxPending) {
        p.head += 1;
        p.conflated += 1;
        total -= 1;
        conflatedTotal += 1;
        if (p.head >= maxPending) {
          p.ticks = p.ticks.slice(p.head);
          p.head = 0;
        }
      }
    },
    /** Take the next batch of one instrument, round-robin over instruments with ticks. */
    take(): TickBatch | undefined {
      for (const [symbol, p] of pending) {
        const live = p.ticks.length - p.head;
        if (live === 0) continue;
        const ticks = p.head === 0 && live <= maxBatch ? p.ticks : p.ticks.slice(p.head, p.head + Math.min(live, maxBatch));
        p.ticks = live <= maxBatch ? [] : p.ticks.slice(p.head + maxBatch);
        p.head = 0;
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
    get pending(): number {
      return total;
    },
    get conflated(): number {
      return conflatedTotal;
    },
  };
}
export type TickBatcher = ReturnType<typeof createTickBatcher>;
