import type { Logger } from 'pino';
import type { BatchedTick } from './tick-batcher.js';

/** Where a hold's ticks go: published first once the lease is taken again, or counted as dropped. */
export interface HoldOutlet {
  resume(symbol: string, ticks: BatchedTick[]): void;
  dropped(count: number): void;
}

/**
 * The ticks of instruments whose lease is only uncertain (renewals failing, no other holder
 * known), in order and bounded per instrument: past `limit` the oldest go. `early` ticks
 * (taken back from the batcher) are older than every tick the sink held, so they lead.
 */
export function createLeaseHold({ limit, log }: { limit: number; log: Logger }) {
  const held = new Map<string, { early: BatchedTick[]; late: BatchedTick[]; overflow: number }>();
  let outlet: HoldOutlet | undefined;

  function drop(ticks: readonly BatchedTick[]) {
    for (const t of ticks) t.settled?.('dropped');
    if (ticks.length > 0) outlet?.dropped(ticks.length);
  }

  return {
    attach(o: HoldOutlet): void {
      outlet = o;
    },
    add(symbol: string, ticks: readonly BatchedTick[], early: boolean): void {
      let h = held.get(symbol);
      if (!h) held.set(symbol, (h = { early: [], late: [], overflow: 0 }));
      const into = early ? h.early : h.late;
      for (const t of ticks) into.push(t);
      const over = h.early.length + h.late.length - limit;
      if (over <= 0) return;
      const fromEarly = Math.min(over, h.early.length);
      drop([...h.early.splice(0, fromEarly), ...h.late.splice(0, over - fromEarly)]);
      if (h.overflow === 0) log.warn({ symbol, limit }, 'holding ticks: limit reached, the oldest are dropped');
      h.overflow += over;
    },
    /** The seq of the oldest tick held for `symbol`. */
    firstSeq(symbol: string): number | undefined {
      const h = held.get(symbol);
      return (h?.early[0] ?? h?.late[0])?.seq;
    },
    /** Hands the held ticks to the outlet, oldest first. */
    resume(symbol: string): number {
      const h = held.get(symbol);
      held.delete(symbol);
      if (!h) return 0;
      const ticks = h.early.concat(h.late);
      if (ticks.length > 0) outlet?.resume(symbol, ticks);
      return ticks.length;
    },
    /** Drops the held ticks; how many there were, and how many went over the limit before. */
    discard(symbol: string): { count: number; overflow: number } {
      const h = held.get(symbol);
      held.delete(symbol);
      if (!h) return { count: 0, overflow: 0 };
      drop(h.early);
      drop(h.late);
      return { count: h.early.length + h.late.length, overflow: h.overflow };
    },
    overflow: (symbol: string): number => held.get(symbol)?.overflow ?? 0,
  };
}
