import type { Tick } from '@tickdesk/schemas';
import type { Candle } from './candle-aggregator.js';

/** A tick ready for its zset: score = event µs, member from encodeTickMember. */
export interface PendingTick {
  score: number;
  member: string;
}

/** Everything waiting to be written, coalesced: each candle and last price once, at its latest state. */
export interface WriteSet {
  ticks: Map<string, PendingTick[]>;
  last: Map<string, Tick>;
  candles: Map<string, Candle>;
  tickCount: number;
  /** Series whose candles up to this bucket start are final with this write (finalField → µs). */
  final?: Map<string, number>;
}

interface Chunk {
  symbol: string;
  ticks: PendingTick[];
}

const candleId = (c: Candle): string => `${c.interval}|${c.symbol}|${c.start}`;

/**
 * Changes between two flushes, bounded: past `maxTicks` the oldest ticks leave the
 * history, past `maxCandles` the least recently touched candles are dropped. Each
 * add returns how many it dropped.
 */
export function createWriteBuffer({ maxTicks, maxCandles }: { maxTicks: number; maxCandles: number }) {
  let chunks: Chunk[] = [];
  let tickCount = 0;
  let last = new Map<string, Tick>();
  let candles = new Map<string, Candle>();

  function trimTicks(): number {
    let dropped = 0;
    while (tickCount > maxTicks) {
      const head = chunks[0]!;
      const n = Math.min(head.ticks.length, tickCount - maxTicks);
      if (n === head.ticks.length) chunks.shift();
      else head.ticks = head.ticks.slice(n);
      tickCount -= n;
      dropped += n;
    }
    return dropped;
  }

  function trimCandles(): number {
    let dropped = 0;
    for (const id of candles.keys()) {
      if (candles.size <= maxCandles) break;
      candles.delete(id);
      dropped++;
    }
    return dropped;
  }

  return {
    addTicks(symbol: string, ticks: PendingTick[]): number {
      if (ticks.length === 0) return 0;
      chunks.push({ symbol, ticks });
      tickCount += ticks.length;
      return trimTicks();
    },

    setLast(symbol: string, tick: Tick): void {
      last.set(symbol, tick);
    },

    putCandles(changed: readonly Candle[]): number {
      for (const c of changed) {
        const id = candleId(c);
        candles.delete(id);
        candles.set(id, c);
      }
      return trimCandles();
    },

    /** Hand over everything pending and start empty; undefined when nothing is pending. */
    take(): WriteSet | undefined {
      if (tickCount === 0 && last.size === 0 && candles.size === 0) return undefined;
      const ticks = new Map<string, PendingTick[]>();
      for (const { symbol, ticks: t } of chunks) {
        const list = ticks.get(symbol);
        if (list) for (const x of t) list.push(x);
        else ticks.set(symbol, t.slice());
      }
      const set: WriteSet = { ticks, last, candles, tickCount };
      chunks = [];
      tickCount = 0;
      last = new Map();
      candles = new Map();
      return set;
    },

    /** Put a set whose write failed back under what arrived since; returns the drops the bounds force. */
    requeue(set: WriteSet): { ticks: number; candles: number } {
      chunks = [...[...set.ticks].map(([symbol, ticks]) => ({ symbol, ticks })), ...chunks];
      tickCount += set.tickCount;
      for (const [symbol, tick] of set.last) if (!last.has(symbol)) last.set(symbol, tick);
      const merged = new Map([...set.candles].filter(([id]) => !candles.has(id)));
      for (const [id, c] of candles) merged.set(id, c);
      candles = merged;
      return { ticks: trimTicks(), candles: trimCandles() };
    },

    /** Forget pending candles of a series starting at or before `through`; returns their trades. */
    dropCandlesThrough(symbol: string, interval: Candle['interval'], through: number): number {
      let trades = 0;
      for (const [id, c] of candles) {
        if (c.symbol !== symbol || c.interval !== interval || c.start > through) continue;
        candles.delete(id);
        trades += c.trades;
      }
      return trades;
    },

    /** Forget everything pending of `symbol` (this recorder no longer records it); returns the ticks dropped. */
    forget(symbol: string): number {
      const dropped = chunks.filter((c) => c.symbol === symbol).reduce((n, c) => n + c.ticks.length, 0);
      chunks = chunks.filter((c) => c.symbol !== symbol);
      tickCount -= dropped;
      last.delete(symbol);
      for (const [id, c] of candles) if (c.symbol === symbol) candles.delete(id);
      return dropped;
    },

    /** The pending state of the candle with `c`'s series and start, if any. */
    candle: (c: Candle): Candle | undefined => candles.get(candleId(c)),
    pendingTicks: (): number => tickCount,
    pendingCandles: (): number => candles.size,
  };
}

export type WriteBuffer = ReturnType<typeof createWriteBuffer>;
