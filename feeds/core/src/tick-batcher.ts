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
  const pending = new Map<string, { ticks: Tick[]; conflated: number }>();
  let total = 0;
  let conflatedTotal = 0;

  return {
    add(tick: Tick): void {
      let p = pending.get(tick.symbol);
      if (!p) pending.set(tick.symbol, (p = { ticks: [], conflated: 0 }));
      p.ticks.push(tick);
      total += 1;
      if (p.ticks.length > maxPending) {
        const drop = p.ticks.length - maxPending;
        p.ticks.splice(0, drop);
        p.conflated += drop;
        total -= drop;
        conflatedTotal += drop;
      }
    },
    /** Take the next batch of one instrument, round-robin over instruments with ticks. */
    take(): TickBatch | undefined {
      for (const [symbol, p] of pending) {
        if (p.ticks.length === 0) continue;
        const ticks = p.ticks.length <= maxBatch ? p.ticks : p.ticks.slice(0, maxBatch);
        p.ticks = p.ticks.length <= maxBatch ? [] : p.ticks.slice(maxBatch);
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
