import { isSignedDecimalString, parseTimestamp, type Bar } from '@tickdesk/schemas';
import type { CandlestickData, PriceFormat, UTCTimestamp } from 'lightweight-charts';

// The one place where decimal price strings become binary numbers, for the chart only.
// Everything else on the page keeps prices as strings and compares them exactly.

/**
 * A decimal string as the nearest double (ECMAScript's Number() rounds correctly, so
 * "65000.12" is exactly the double the literal 65000.12 is); undefined when not a decimal.
 * A sensor's value may be zero or negative ("-18.5"): the decoders let only a sensor's through.
 */
export function chartPrice(decimal: string): number | undefined {
  if (!isSignedDecimalString(decimal)) return undefined;
  const n = Number(decimal);
  return Number.isFinite(n) ? n : undefined;
}

/** Unix seconds of an XEP-0082 timestamp, rounded down to the second (the chart's time unit). */
export function chartTime(timestamp: string): UTCTimestamp | undefined {
  const micros = parseTimestamp(timestamp);
  return micros === undefined ? undefined : (Math.floor(micros / 1_000_000) as UTCTimestamp);
}

/** One OHLC candle for the chart at `time` (the bucket start, unix seconds); undefined if any price is malformed. */
export function chartCandle(
  time: number,
  c: Pick<Bar, 'open' | 'high' | 'low' | 'close'>,
): CandlestickData<UTCTimestamp> | undefined {
  const open = chartPrice(c.open);
  const high = chartPrice(c.high);
  const low = chartPrice(c.low);
  const close = chartPrice(c.close);
  if (open === undefined || high === undefined || low === undefined || close === undefined) return undefined;
  return { time: time as UTCTimestamp, open, high, low, close };
}

/** The price scale's precision and step from the instrument's tick size ("0.25" → 2 decimals, step 0.25). */
export function chartPriceFormat(tickSize: string | undefined): PriceFormat {
  const step = tickSize === undefined ? undefined : chartPrice(tickSize);
  if (step === undefined || step <= 0) return { type: 'price', precision: 2, minMove: 0.01 };
  const decimals = tickSize!.includes('.') ? tickSize!.split('.')[1]!.length : 0;
  return { type: 'price', precision: decimals, minMove: step };
}
