import { compareDecimal, decimalToString, INTERVAL_MICROS, type BarInterval } from '@tickdesk/schemas';
import { Exact } from './exact.js';

export const ALL_INTERVALS: readonly BarInterval[] = ['1s', '1m', '1h'];

/** What the aggregator needs of a tick; price and size match DECIMAL_PATTERN. */
export interface CandleTick {
  price: string;
  size: string;
  eventMicros: number;
}

/** An OHLCV candle over [start, start + interval) by event time; prices are decimal strings. */
export interface Candle {
  symbol: string;
  interval: BarInterval;
  /** Bucket start, microseconds since the epoch. */
  start: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  trades: number;
}

export interface CandleAggregator {
  /** Add ticks of one symbol in arrival order; returns each touched candle once, and the late drops (per interval). */
  add(symbol: string, ticks: readonly CandleTick[]): { changed: Candle[]; late: number };
  /**
   * Merge stored candles (ascending) into the open buckets of a series, the stored
   * ticks counting as earlier than those already added; returns the candles the merge
   * changed. `truncated` says older candles exist, so buckets before the first are closed.
   * Buckets starting at or before `finalThrough` (published as final) are closed and
   * left out, stored or not.
   */
  restore(
    symbol: string,
    interval: BarInterval,
    candles: readonly Candle[],
    truncated: boolean,
    finalThrough?: number,
  ): Candle[];
  /** The open candles of a series, ascending. */
  open(symbol: string, interval: BarInterval): Candle[];
  /** Buckets of the series starting at or before this are closed (-Infinity: none yet). */
  closedThrough(symbol: string, interval: BarInterval): number;
  /** Drop every series of `symbol` (it is recorded elsewhere now). */
  forget(symbol: string): void;
}

interface Bucket {
  start: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: Exact;
  trades: number;
}

interface Series {
  interval: BarInterval;
  buckets: Bucket[];
  /** Buckets starting at or before this are closed: a tick for them is late. */
  closedThrough: number;
}

/**
 * Exact OHLCV aggregation into 1s/1m/1h buckets, keeping the last `openBuckets` buckets
 * per series open. Consecutive ticks of one finest bucket are summed once as a run and
 * the run is merged into every interval, which keeps arrival order and saves work.
 */
export function createCandleAggregator({
  intervals = ALL_INTERVALS,
  openBuckets = 10,
}: { intervals?: readonly BarInterval[]; openBuckets?: number } = {}): CandleAggregator {
  const symbols = new Map<string, Series[]>();
  const finest = Math.min(...intervals.map((i) => INTERVAL_MICROS[i]));

  function seriesOf(symbol: string): Series[] {
    let list = symbols.get(symbol);
    if (!list)
      symbols.set(symbol, (list = intervals.map((interval) => ({ interval, buckets: [], closedThrough: -Infinity }))));
    return list;
  }

  /** Merge `run` into the series' bucket at `start`; false when that bucket is closed. */
  function mergeRun(series: Series, start: number, run: Bucket): Bucket | undefined {
    const { buckets } = series;
    let i = buckets.length - 1;
    while (i >= 0 && buckets[i]!.start > start) i--;
    const found = i >= 0 && buckets[i]!.start === start ? buckets[i]! : undefined;
    if (found) return Object.assign(found, combine(found, run));
    if (start <= series.closedThrough) return undefined;
    const bucket = { ...run, start };
    buckets.splice(i + 1, 0, bucket);
    if (buckets.length > openBuckets) series.closedThrough = Math.max(series.closedThrough, buckets.shift()!.start);
    return bucket;
  }

  return {
    add(symbol, ticks) {
      const list = seriesOf(symbol);
      const touched = new Map<Bucket, Series>();
      let late = 0;
      for (let i = 0; i < ticks.length;) {
        const first = ticks[i]!;
        const runStart = first.eventMicros - (first.eventMicros % finest);
        const run: Bucket = {
          start: runStart,
          open: first.price,
          high: first.price,
          low: first.price,
          close: first.price,
          volume: new Exact(first.size),
          trades: 1,
        };
        for (i++; i < ticks.length; i++) {
          const t = ticks[i]!;
          if (t.eventMicros - (t.eventMicros % finest) !== runStart) break;
          if (compareDecimal(t.price, run.high) > 0) run.high = t.price;
          if (compareDecimal(t.price, run.low) < 0) run.low = t.price;
          run.close = t.price;
          run.volume = run.volume.plus(t.size);
          run.trades++;
        }
        for (const series of list) {
          const b = mergeRun(series, runStart - (runStart % INTERVAL_MICROS[series.interval]), run);
          if (b) touched.set(b, series);
          else late += run.trades;
        }
      }
      return { changed: [...touched].map(([b, s]) => toCandle(symbol, s.interval, b)), late };
    },

    restore(symbol, interval, candles, truncated, finalThrough = -Infinity) {
      const series = seriesOf(symbol).find((s) => s.interval === interval);
      if (!series) return [];
      series.closedThrough = Math.max(series.closedThrough, finalThrough);
      const mem = new Map(series.buckets.filter((b) => b.start > finalThrough).map((b) => [b.start, b]));
      const changed: Bucket[] = [];
      const stored = candles
        .filter((c) => c.start > finalThrough)
        .map((c) => {
          const b = mem.get(c.start);
          if (!b) return fromCandle(c);
          mem.delete(c.start);
          changed.push(combine(fromCandle(c), b));
          return changed[changed.length - 1]!;
        });
      const all = [...stored, ...mem.values()].sort((a, b) => a.start - b.start);
      const evicted = all.length - openBuckets;
      if (truncated && candles[0]) series.closedThrough = Math.max(series.closedThrough, candles[0].start - 1);
      if (evicted > 0) series.closedThrough = Math.max(series.closedThrough, all[evicted - 1]!.start);
      series.buckets = all.slice(Math.max(0, evicted));
      return changed.map((b) => toCandle(symbol, interval, b));
    },

    open(symbol, interval) {
      const series = symbols.get(symbol)?.find((s) => s.interval === interval);
      return series ? series.buckets.map((b) => toCandle(symbol, interval, b)) : [];
    },

    closedThrough(symbol, interval) {
      return symbols.get(symbol)?.find((s) => s.interval === interval)?.closedThrough ?? -Infinity;
    },

    forget(symbol) {
      symbols.delete(symbol);
    },
  };
}

/** One candle of `a`'s ticks followed by `b`'s (same symbol, interval and start). */
export function mergeCandles(a: Candle, b: Candle): Candle {
  return toCandle(a.symbol, a.interval, combine(fromCandle(a), fromCandle(b)));
}

/** `a`'s ticks, then `b`'s; ties keep `a`'s text. */
function combine(a: Bucket, b: Bucket): Bucket {
  return {
    start: a.start,
    open: a.open,
    high: compareDecimal(b.high, a.high) > 0 ? b.high : a.high,
    low: compareDecimal(b.low, a.low) < 0 ? b.low : a.low,
    close: b.close,
    volume: a.volume.plus(b.volume),
    trades: a.trades + b.trades,
  };
}

function toCandle(symbol: string, interval: BarInterval, b: Bucket): Candle {
  return {
    symbol,
    interval,
    start: b.start,
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    volume: decimalToString(b.volume),
    trades: b.trades,
  };
}

function fromCandle(c: Candle): Bucket {
  return {
    start: c.start,
    open: c.open,
    high: c.high,
    low: c.low,
    close: c.close,
    volume: new Exact(c.volume),
    trades: c.trades,
  };
}
