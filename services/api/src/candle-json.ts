import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Bar, DECIMAL_PATTERN, type BarInterval } from '@tickdesk/schemas';
import { decodeCandle, toBar } from '@tickdesk/recorder';

const bar = TypeCompiler.Compile(Bar);

// A stored member as the recorder writes it (JSON.stringify of [start,open,high,low,close,volume,trades]),
// its decimals matching the Bar schema's pattern: one match parses and checks it.
const DECIMAL = `(${DECIMAL_PATTERN.slice(1, -1).replace(/\((?!\?)/g, '(?:')})`;
const MEMBER = new RegExp(
  `^\\[(0|[1-9][0-9]{0,15}),"${DECIMAL}","${DECIMAL}","${DECIMAL}","${DECIMAL}","${DECIMAL}",([1-9][0-9]{0,15})\\]$`,
);

const DAY = 86_400_000_000;
let cachedDay = Number.NaN;
let cachedDayText = '';
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * A bucket start as XEP-0082 UTC with six fractional digits, like formatMicros. Candle
 * starts step by a minute or an hour, so the calendar day is what repeats: it is
 * formatted once per day, the time of day by arithmetic.
 */
export function bucketTime(micros: number): string {
  const day = Math.floor(micros / DAY);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDayText = new Date(day * 86_400_000).toISOString().slice(0, 11); // 2025-03-01T
  }
  let rest = micros - day * DAY;
  const h = Math.floor(rest / 3_600_000_000);
  rest -= h * 3_600_000_000;
  const m = Math.floor(rest / 60_000_000);
  rest -= m * 60_000_000;
  const s = Math.floor(rest / 1_000_000);
  rest -= s * 1_000_000;
  return `${cachedDayText}${two(h)}:${two(m)}:${two(s)}.${String(rest).padStart(6, '0')}Z`;
}

/**
 * A stored candle member as the JSON of a Bar, checked against the schema: pages are
 * assembled from these, so what is sent is checked here rather than by the route's
 * serializer. Stored data that does not fit is a 500, never a malformed page.
 * `symbol` and `interval` are the route's, already checked against their patterns.
 */
export function barJson(symbol: string, interval: BarInterval, member: string): string {
  const m = MEMBER.exec(member);
  const start = m ? Number(m[1]) : Number.NaN;
  if (m && Number.isSafeInteger(start) && Number.isSafeInteger(Number(m[7]))) {
    return `{"symbol":"${symbol}","interval":"${interval}","start":"${bucketTime(start)}","open":"${m[2]}","high":"${m[3]}","low":"${m[4]}","close":"${m[5]}","volume":"${m[6]}","trades":${m[7]}}`;
  }
  // Any other spelling of a member: decoded and checked in full.
  const value = toBar(decodeCandle(symbol, interval, member));
  if (!bar.Check(value))
    throw new Error(`stored candle of ${interval}:${symbol} does not match the Bar schema: ${member.slice(0, 200)}`);
  return JSON.stringify(value);
}

/** The start of a CandlePage's JSON, up to the first candle. */
export const candlePageHead = (symbol: string, interval: BarInterval): string =>
  `{"symbol":${JSON.stringify(symbol)},"interval":"${interval}","candles":[`;

/** The end of a CandlePage's JSON, after the last candle. */
export const candlePageTail = (nextCursor?: number): string =>
  nextCursor === undefined ? ']}' : `],"nextCursor":"${bucketTime(nextCursor)}"}`;

/**
 * The JSON of a CandlePage whose candles are `bars` (Bar JSON joined by commas), with
 * the same properties in the same order as the schema serializer writes them.
 */
export function candlePageJson(symbol: string, interval: BarInterval, bars: string, nextCursor?: number): string {
  return `${candlePageHead(symbol, interval)}${bars}${candlePageTail(nextCursor)}`;
}
