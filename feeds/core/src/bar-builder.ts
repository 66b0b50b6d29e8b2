import { Decimal, compareDecimal, decimalToString, formatMicros, fromScaled, toScaled, type Bar, type Tick } from '@tickdesk/schemas';

interface Open {
  start: number;
  open: string;
  high: string;
  low: string;
  close: string;
  /** Exact volume in 10^-18 units; Decimal only for sizes with more decimals. */
  volume: bigint;
  volumeExtra: Decimal | undefined;
  trades: number;
  lastWall: number;
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
    volume: b.volumeExtra ? decimalToString(b.volumeExtra.plus(fromScaled(b.volume))) : fromScaled(b.volume),
    trades: b.trades,
  });

  return {
    /** Fold a tick in; returns the bar it closed, if any. */
    add(tick: Tick, eventMicros: number): Bar | undefined {
      const t = eventMicros;
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
        b = { start, open: price, high: price, low: price, close: price, volume: 0n, volumeExtra: undefined, trades: 0, lastWall: 0 };
        open.set(tick.symbol, b);
      } else {
        if (compareDecimal(price, b.high) > 0) b.high = price;
        if (compareDecimal(price, b.low) < 0) b.low = price;
        b.close = price;
      }
      const scaled = toScaled(tick.size);
      if (scaled !== undefined) b.volume += scaled;
      else b.volumeExtra = (b.volumeExtra ?? new Decimal(0)).plus(tick.size);
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
