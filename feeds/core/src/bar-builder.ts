import {
  Decimal,
  compareDecimal,
  decimalToString,
  formatMicros,
  fromScaled,
  toScaled,
  type Bar,
} from '@tickdesk/schemas';
import type { AcceptedTick } from './validator.js';

interface Open {
  start: number;
  open: string;
  high: string;
  low: string;
  close: string;
  /** Exact volume: 10^-8 units while they fit a double exactly, then 10^-18 units, Decimal only for sizes with more decimals. */
  volumeFast: number;
  volume: bigint;
  volumeExtra: Decimal | undefined;
  trades: number;
  lastWall: number;
}

/** A canonical decimal as whole 10^-8 units when that is exact and safe, else -1. No allocation: this runs per tick. */
function units8(text: string): number {
  let units = 0;
  let frac = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      frac = 0;
      continue;
    }
    if (frac >= 0 && ++frac > 8) return -1;
    units = units * 10 + (c - 48);
  }
  const scaled = units * 10 ** (8 - Math.max(frac, 0));
  return Number.isSafeInteger(scaled) ? scaled : -1;
}

const FAST_TO_SCALED = 10n ** 10n;

function volumeText(b: Open): string {
  const scaled = fromScaled(b.volume + BigInt(b.volumeFast) * FAST_TO_SCALED);
  return b.volumeExtra ? decimalToString(b.volumeExtra.plus(scaled)) : scaled;
}

/**
 * Conflated 1-second bars by event time. A bar closes when a tick of a later second
 * arrives, or when nothing has come for `idleMs` of wall time (quiet instruments).
 * Ticks for an already closed second are folded into the current bar's second: bars
 * are for display; the recorder keeps exact candles from every tick.
 */
export function createBarBuilder({ idleMs = 1500, now = () => Date.now() } = {}) {
  const open = new Map<string, Open>();
  const toBar = (symbol: string, b: Open): Bar => ({
    symbol,
    interval: '1s',
    start: formatMicros(b.start),
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    volume: volumeText(b),
    trades: b.trades,
  });

  return {
    /** Fold a tick in; returns the bar it closed, if any. */
    add(tick: AcceptedTick): Bar | undefined {
      const t = tick.eventMicros;
      const start = t - (t % 1_000_000);
      const cur = open.get(tick.symbol);
      let closed: Bar | undefined;
      if (cur && start > cur.start) {
        closed = toBar(tick.symbol, cur);
        open.delete(tick.symbol);
      }
      let b = open.get(tick.symbol);
      const price = tick.price;
      if (!b) {
        b = {
          start,
          open: price,
          high: price,
          low: price,
          close: price,
          volumeFast: 0,
          volume: 0n,
          volumeExtra: undefined,
          trades: 0,
          lastWall: 0,
        };
        open.set(tick.symbol, b);
      } else {
        if (compareDecimal(price, b.high) > 0) b.high = price;
        if (compareDecimal(price, b.low) < 0) b.low = price;
        b.close = price;
      }
      const units = units8(tick.size);
      if (units >= 0 && b.volumeFast + units <= Number.MAX_SAFE_INTEGER) b.volumeFast += units;
      else {
        const scaled = toScaled(tick.size);
        if (scaled !== undefined) b.volume += scaled;
        else b.volumeExtra = (b.volumeExtra ?? new Decimal(0)).plus(tick.size);
      }
      b.trades += 1;
      b.lastWall = now();
      return closed;
    },
    /** Bars of instruments that have been quiet for `idleMs` (or all, when `all`). */
    flushIdle(all = false): Bar[] {
      const out: Bar[] = [];
      const wall = now();
      for (const [symbol, b] of open) {
        if (all || wall - b.lastWall >= idleMs) {
          out.push(toBar(symbol, b));
          open.delete(symbol);
        }
      }
      return out;
    },
  };
}
