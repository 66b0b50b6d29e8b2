import { compareDecimal, INTERVAL_MICROS, parseTimestamp, type Bar, type BarInterval } from '@tickdesk/schemas';

/** A candle as decimal strings, keyed by its bucket start (µs); merged exactly, converted for the chart elsewhere. */
export interface DecimalCandle {
  start: number;
  open: string;
  high: string;
  low: string;
  close: string;
}

const bucketOf = (micros: number, interval: BarInterval): number =>
  Math.floor(micros / INTERVAL_MICROS[interval]) * INTERVAL_MICROS[interval];

/** A REST candle (or a bar) as a DecimalCandle of `interval`; undefined when its start is malformed. */
export function fromBar(bar: Bar, interval: BarInterval): DecimalCandle | undefined {
  const micros = parseTimestamp(bar.start);
  if (micros === undefined) return undefined;
  return { start: bucketOf(micros, interval), open: bar.open, high: bar.high, low: bar.low, close: bar.close };
}

/**
 * Fold a 1-second bar into a series of `interval` candles (oldest first): a later bucket
 * is appended; the last bucket takes the higher high, the lower low and the bar's close
 * (max/min are idempotent, so a second already counted in a REST candle does no harm);
 * anything older than the last bucket is ignored (bars are for display).
 */
export function foldBar(series: DecimalCandle[], bar: Bar, interval: BarInterval): 'appended' | 'updated' | 'ignored' {
  const candle = fromBar(bar, interval);
  if (!candle) return 'ignored';
  const last = series[series.length - 1];
  if (!last || candle.start > last.start) {
    series.push(candle);
    return 'appended';
  }
  if (candle.start < last.start) return 'ignored';
  if (compareDecimal(candle.high, last.high) > 0) last.high = candle.high;
  if (compareDecimal(candle.low, last.low) < 0) last.low = candle.low;
  last.close = candle.close;
  return 'updated';
}
