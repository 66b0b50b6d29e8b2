import { Decimal, decimalToString, formatMicros, type Bar, type Tick } from '@tickdesk/schemas';

interface Open {
  start: number;
  open: string;
  high: Decimal;
  low: Decimal;
  close: string;
  volume: Decimal;
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
    high: decimalToString(b.high),
    low: decimalToString(b.low),
    close: b.close,
    volume: decimalToString(b.volume),
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
      const b = open.get(tick.symbol);
      const price = new Decimal(tick.price);
      if (!b) {
        open.set(tick.symbol, {
          start,
          open: tick.price,
          high: price,
          low: price,
          close: tick.price,
          volume: new Decimal(tick.size),
          trades: 1,
          lastWall: now(),
        });
      } else {
        if (price.gt(b.high)) b.high = price;
        if (price.lt(b.low)) b.low = price;
        b.close = tick.price;
        b.volume = b.volume.plus(tick.size);
        b.trades += 1;
        b.lastWall = now();
      }
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
