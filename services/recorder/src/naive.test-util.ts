import { formatMicros, INTERVAL_MICROS, type BarInterval, type Tick } from '@tickdesk/schemas';
import { mulberry32 } from '../../../test/support/seeded-random.js';

// An independent model for tests: decimals as scaled BigInts, candles by plain grouping.
const SCALE = 40;

function toScaled(text: string): bigint {
  const [int = '0', frac = ''] = text.split('.');
  return BigInt(int + frac.padEnd(SCALE, '0'));
}

function fromScaled(v: bigint): string {
  const s = v.toString().padStart(SCALE + 1, '0');
  const int = s.slice(0, -SCALE);
  const frac = s.slice(-SCALE).replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}

export interface NaiveCandle {
  start: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  trades: number;
}

/** Candles of `ticks` (arrival order) by event time; every tick counts. */
export function naiveCandles(ticks: readonly Tick[], interval: BarInterval): NaiveCandle[] {
  const size = BigInt(INTERVAL_MICROS[interval]);
  const map = new Map<number, { c: NaiveCandle; vol: bigint }>();
  for (const t of ticks) {
    const us = eventMicros(t.eventTime);
    const start = Number((BigInt(us) / size) * size);
    const e = map.get(start);
    if (!e) {
      map.set(start, {
        c: { start, open: t.price, high: t.price, low: t.price, close: t.price, volume: '', trades: 1 },
        vol: toScaled(t.size),
      });
      continue;
    }
    if (toScaled(t.price) > toScaled(e.c.high)) e.c.high = t.price;
    if (toScaled(t.price) < toScaled(e.c.low)) e.c.low = t.price;
    e.c.close = t.price;
    e.c.trades++;
    e.vol += toScaled(t.size);
  }
  return [...map.values()].map(({ c, vol }) => ({ ...c, volume: fromScaled(vol) })).sort((a, b) => a.start - b.start);
}

/** `naiveCandles` of one instrument's ticks as the store returns candles: with symbol, interval and an XEP-0082 start. */
export const naiveBars = (ticks: readonly Tick[], interval: BarInterval) =>
  naiveCandles(ticks, interval).map(({ start, ...c }) => ({
    symbol: ticks[0]!.symbol,
    interval,
    start: formatMicros(start),
    ...c,
  }));

/** Event micros from an XEP-0082 string, computed without the schemas helper. */
function eventMicros(text: string): number {
  const [whole = '', frac = ''] = text.replace('Z', '').split('.');
  return Date.parse(`${whole}Z`) * 1000 + Number(frac.padEnd(6, '0').slice(0, 6));
}

/** A small seeded PRNG (mulberry32) so a failing stream can be replayed. */
export const rng = mulberry32;

const digits = (r: () => number, n: number): string => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');

/** A random decimal string: tiny fractions like 0.1 and 0.2, and long ones like 12.000000000000000017. */
function randomDecimal(r: () => number): string {
  const pick = r();
  if (pick < 0.2) return ['0.1', '0.2', '0.3', '0.7', '1'][Math.floor(r() * 5)]!;
  const int = String(Math.floor(r() * 100_000));
  const frac = digits(r, 1 + Math.floor(r() * 24)).replace(/0+$/, '');
  const text = frac ? `${int}.${frac}` : int;
  return /[1-9]/.test(text) ? text : '0.5';
}

/**
 * `n` ticks of `symbol`, seq increasing from `seq0`, event times mostly rising from
 * `startMicros` with some arriving up to `maxLateMicros` late.
 */
export function randomTicks(
  r: () => number,
  symbol: string,
  n: number,
  startMicros: number,
  opts: { stepMicros?: number; maxLateMicros?: number; seq0?: number } = {},
): Tick[] {
  const { stepMicros = 20_000, maxLateMicros = 0, seq0 = 1 } = opts;
  let now = startMicros;
  let seq = seq0 - 1;
  const ticks: Tick[] = [];
  for (let i = 0; i < n; i++) {
    now += Math.floor(r() * stepMicros);
    const late = r() < 0.1 ? Math.floor(r() * maxLateMicros) : 0;
    const event = Math.max(startMicros, now - late);
    ticks.push({
      symbol,
      seq: (seq += r() < 0.05 ? 2 : 1),
      price: randomDecimal(r),
      size: randomDecimal(r),
      side: r() < 0.5 ? 'buy' : 'sell',
      eventTime: formatMicros(event),
      ingestTime: formatMicros(now + 1_000),
    });
  }
  return ticks;
}
