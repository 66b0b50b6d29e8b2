import { decimalToString, INTERVAL_MICROS, type BarInterval } from '@tickdesk/schemas';
import { Exact } from './exact.js';

export const ALL_INTERVALS: readonly BarInterval[] = ['1s', '1m', '1h'];

/** What the aggregator needs of a tick. */
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
  /** Add ticks of one symbol in arrival order; returns each touched candle once, and the late drops. */
  add(symbol: string, ticks: readonly CandleTick[]): { changed: Candle[]; late: number };
  /**
   * Merge stored candles (ascending) into the open buckets of a series, the stored
   * ticks counting as earlier than those already added; returns the candles the merge
   * changed. `truncated` says older candles exist, so buckets before the first are closed.
   */
  restore(symbol: string, interval: BarInterval, candles: readonly Candle[], truncated: boolean): Candle[];
  /** The open candles of a series, ascending. */
  open(symbol: string, interval: BarInterval): Candle[];
}

interface Bucket {
  start: number;
  open: string;
  high: string;
  highD: Exact;
  low: string;
  lowD: Exact;
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

/** Exact OHLCV aggregation into 1s/1m/1h buckets, keeping the last `openBuckets` buckets per series open. */
export function createCandleAggregator({
  intervals = ALL_INTERVALS,
  openBuckets = 10,
}: { intervals?: readonly BarInterval[]; openBuckets?: number } = {}): CandleAggregator {
  const symbols = new Map<string, Series[]>();

  function seriesOf(symbol: string): Series[] {
    let list = symbols.get(symbol);
    if (!list) {
      list = intervals.map((interval) => ({ interval, buckets: [], closedThrough: -Infinity }));
      symbols.set(symbol, list);
    }
    return list;
  }

  function bucketFor(series: Series, start: number, price: string, priceD: Exact): Bucket | undefined {
    const { buckets } = series;
    let i = buckets.length - 1;
    while (i >= 0 && buckets[i]!.start > start) i--;
    if (i >= 0 && buckets[i]!.start === start) return buckets[i];
    if (start <= series.closedThrough) return undefined;
    const bucket: Bucket = { start, open: price, high: price, highD: priceD, low: price, lowD: priceD, close: price, volume: new Exact(0), trades: 0 };
    buckets.splice(i + 1, 0, bucket);
    if (buckets.length > openBuckets) series.closedThrough = Math.max(series.closedThrough, buckets.shift()!.start);
    return bucket;
  }

  return {
    add(symbol, ticks) {
      const list = seriesOf(symbol);
      const touched = new Map<Bucket, Series>();
      let late = 0;
      for (const tick of ticks) {
        const priceD = new Exact(tick.price);
        const sizeD = new Exact(tick.size);
        for (const series of list) {
          const start = tick.eventMicros - (tick.eventMicros % INTERVAL_MICROS[series.interval]);
          const b = bucketFor(series, start, tick.price, priceD);
          if (!b) {
            late++;
            continue;
          }
          if (priceD.gt(b.highD)) (b.high = tick.price), (b.highD = priceD);
          if (priceD.lt(b.lowD)) (b.low = tick.price), (b.lowD = priceD);
          b.close = tick.price;
          b.volume = b.volume.plus(sizeD);
          b.trades++;
          touched.set(b, series);
        }
      }
      return { changed: [...touched].map(([b, s]) => toCandle(symbol, s.interval, b)), late };
    },

    restore(symbol, interval, candles, truncated) {
      const series = seriesOf(symbol).find((s) => s.interval === interval);
      if (!series) return [];
      const mem = new Map(series.buckets.map((b) => [b.start, b]));
      const changed: Bucket[] = [];
      const stored = candles.map((c) => {
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
  };
}

function toCandle(symbol: string, interval: BarInterval, b: Bucket): Candle {
  return { symbol, interval, start: b.start, open: b.open, high: b.high, low: b.low, close: b.close, volume: decimalToString(b.volume), trades: b.trades };
}

/** `a`'s ticks, then `b`'s. */
function combine(a: Bucket, b: Bucket): Bucket {
  const high = b.highD.gt(a.highD) ? b : a;
  const low = b.lowD.lt(a.lowD) ? b : a;
  return { start: a.start, open: a.open, high: high.high, highD: high.highD, low: low.low, lowD: low.lowD, close: b.close, volume: a.volume.plus(b.volume), trades: a.trades + b.trades };
}

function fromCandle(c: Candle): Bucket {
  const { start, open, high, low, close, trades } = c;
  return { start, open, high, highD: new Exact(high), low, lowD: new Exact(low), close, volume: new Exact(c.volume), trades };
}
