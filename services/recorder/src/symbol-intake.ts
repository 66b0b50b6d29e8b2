import {
  isDecimalString,
  isPositiveDecimal,
  isSignedDecimalString,
  parseTimestamp,
  type BarInterval,
  type Tick,
  type TickBatch,
} from '@tickdesk/schemas';
import {
  ALL_INTERVALS,
  mergeCandles,
  type Candle,
  type CandleAggregator,
  type CandleTick,
} from './candle-aggregator.js';
import { encodeTickMember, finalField } from './redis-layout.js';
import type { RecorderStore } from './recorder-store.js';
import type { DropReason } from './recorder-metrics.js';
import type { PendingTick, WriteBuffer } from './write-buffer.js';

interface SymbolState {
  ready: boolean;
  lastSeq: number;
  /** The largest publisher's fencing token seen (TickBatch.lease); 0 before any. */
  lease: number;
  waiting: TickBatch[];
  /** First seq aggregated before warm-up, if Redis was unreachable too long. */
  coldFrom?: number;
}

export interface IntakeDeps {
  aggregator: CandleAggregator;
  buffer: WriteBuffer;
  store: Pick<RecorderStore, 'seeds'>;
  openBuckets: number;
  /** Ticks held per symbol while it warms up, at most. */
  maxWaitingTicks: number;
  onDrop: (reason: DropReason, n: number) => void;
  /** Ticks aggregated before warm-up overlap what Redis had stored: their candles may count some twice. */
  onOverlap: (symbol: string, coldFrom: number, storedSeq: number) => void;
  /** Leases on: the lease token of each symbol to warm up (its fence is raised to it first). */
  tokens?: (symbols: readonly string[]) => Map<string, number>;
  /** Warm-up found a larger lease token on the symbol: another recorder holds it (the symbol is forgotten). */
  onRefused?: (symbol: string, fence: number) => void;
}

/**
 * Per-symbol entry of ticks. A symbol seen for the first time warms up first: its
 * last seq and newest candles are read back from Redis, so a restarted recorder
 * continues the open candles instead of overwriting them, and skips ticks it
 * already stored (seq <= last seq, e.g. a pubsub item delivered again).
 */
export function createSymbolIntake(deps: IntakeDeps) {
  const { aggregator, buffer, onDrop } = deps;
  const symbols = new Map<string, SymbolState>();
  let waitingTicks = 0;
  let warming = 0;

  function apply(symbol: string, sym: SymbolState, batch: TickBatch): void {
    // A publisher that lost its lease to one with a larger token (a standby that took over) is ignored, whatever its seq.
    if (batch.lease !== undefined) {
      if (batch.lease < sym.lease) return onDrop('stale_publisher', batch.ticks.length);
      sym.lease = batch.lease;
    }
    // A sensor's values may be zero or negative (kind='sensor', docs/protocol.md); a market price never is.
    const validPrice = batch.kind === 'sensor' ? isSignedDecimalString : isPositiveDecimal;
    const accepted: CandleTick[] = [];
    const pending: PendingTick[] = [];
    let last: Tick | undefined;
    let duplicates = 0;
    let malformed = 0;
    for (const tick of batch.ticks) {
      if (tick.seq <= sym.lastSeq) {
        duplicates++;
        continue;
      }
      const eventMicros = parseTimestamp(tick.eventTime);
      if (
        eventMicros === undefined ||
        tick.symbol !== symbol ||
        !validPrice(tick.price) ||
        !isDecimalString(tick.size)
      ) {
        malformed++;
        continue;
      }
      sym.lastSeq = tick.seq;
      last = tick;
      accepted.push({ price: tick.price, size: tick.size, eventMicros });
      pending.push({ score: eventMicros, member: encodeTickMember(tick) });
    }
    if (duplicates) onDrop('duplicate', duplicates);
    if (malformed) onDrop('malformed', malformed);
    if (!last) return;
    const { changed, late } = aggregator.add(symbol, accepted);
    if (late) onDrop('late_candle', late);
    const droppedTicks = buffer.addTicks(symbol, pending);
    if (droppedTicks) onDrop('buffer_full', droppedTicks);
    const droppedCandles = buffer.putCandles(changed);
    if (droppedCandles) onDrop('candle_buffer_full', droppedCandles);
    buffer.setLast(symbol, last);
  }

  /**
   * Merge stored candles into what was aggregated before warm-up: open buckets, and
   * evicted ones still pending. Buckets up to the published final mark stay as stored:
   * what was aggregated for them meanwhile is dropped as late.
   */
  function restore(
    symbol: string,
    interval: BarInterval,
    stored: Candle[],
    truncated: boolean,
    finalThrough = -Infinity,
  ): Candle[] {
    const changed = aggregator.restore(symbol, interval, stored, truncated, finalThrough);
    const merged = new Set(changed.map((c) => c.start));
    for (const c of stored) {
      const pending = merged.has(c.start) || c.start <= finalThrough ? undefined : buffer.candle(c);
      if (pending) changed.push(mergeCandles(c, pending));
    }
    onDrop('late_candle', buffer.dropCandlesThrough(symbol, interval, finalThrough));
    return changed;
  }

  /** Drop the symbol's state and pending writes: it is recorded elsewhere now, and warms up afresh if it comes back. */
  function forget(symbol: string): void {
    const sym = symbols.get(symbol);
    if (!sym) return;
    symbols.delete(symbol);
    if (!sym.ready) warming--;
    for (const b of sym.waiting) waitingTicks -= b.ticks.length;
    aggregator.forget(symbol);
    buffer.forget(symbol);
  }

  return {
    ingest(batch: TickBatch): void {
      let sym = symbols.get(batch.symbol);
      if (!sym) {
        symbols.set(batch.symbol, (sym = { ready: false, lastSeq: -1, lease: 0, waiting: [] }));
        warming++;
      }
      if (sym.ready) return apply(batch.symbol, sym, batch);
      sym.waiting.push(batch);
      waitingTicks += batch.ticks.length;
      // Redis is unreachable for long: aggregate without the stored state rather than
      // lose the ticks; warm-up merges the stored candles in later.
      while (waitingTicks > deps.maxWaitingTicks && sym.waiting.length > 0) {
        const held = sym.waiting.shift()!;
        waitingTicks -= held.ticks.length;
        sym.coldFrom ??= held.ticks[0]!.seq;
        apply(batch.symbol, sym, held);
      }
    },

    /** Read back the state of symbols seen for the first time, then let their held ticks in. */
    async warmUp(): Promise<void> {
      let names = [...symbols].filter(([, s]) => !s.ready).map(([name]) => name);
      const tokens = deps.tokens?.(names);
      // Leases on: a symbol whose lease went before it warmed up is not recorded here.
      if (tokens) for (const name of names.filter((n) => !tokens.has(n))) forget(name);
      if (tokens) names = names.filter((n) => tokens.has(n));
      if (names.length === 0) return;
      const asked = new Map(names.map((n) => [n, symbols.get(n)]));
      const seeds = await deps.store.seeds(names, deps.openBuckets, tokens);
      for (const name of names) {
        const sym = symbols.get(name);
        // Forgotten while Redis answered (its lease went), or forgotten and seen again: the next warm-up reads it.
        if (!sym || sym !== asked.get(name) || sym.ready) continue;
        const seed = seeds.get(name);
        if (seed?.refused) {
          forget(name);
          deps.onRefused?.(name, seed.refused);
          continue;
        }
        const storedSeq = seed?.lastSeq ?? -1;
        if (sym.coldFrom !== undefined && storedSeq >= sym.coldFrom) deps.onOverlap(name, sym.coldFrom, storedSeq);
        sym.lastSeq = Math.max(sym.lastSeq, storedSeq);
        for (const interval of ALL_INTERVALS) {
          const s = seed?.candles[interval];
          if (s)
            onDrop(
              'candle_buffer_full',
              buffer.putCandles(restore(name, interval, s.candles, s.truncated, s.finalThrough)),
            );
        }
        sym.ready = true;
        warming--;
        for (const batch of sym.waiting) {
          waitingTicks -= batch.ticks.length;
          apply(name, sym, batch);
        }
        sym.waiting = [];
      }
    },

    /** The closed-through mark of every series of the symbols warmed up (finalField → µs). */
    closed(): Map<string, number> {
      const marks = new Map<string, number>();
      for (const [symbol, sym] of symbols) {
        if (!sym.ready) continue;
        for (const interval of ALL_INTERVALS) {
          const through = aggregator.closedThrough(symbol, interval);
          if (Number.isFinite(through)) marks.set(finalField(interval, symbol), through);
        }
      }
      return marks;
    },

    forget,

    warming: (): number => warming,
    waitingTicks: (): number => waitingTicks,
    symbols: (): number => symbols.size,
  };
}
