import { formatMicros, type Bar, type Instrument, valueStep } from '@tickdesk/schemas';

/**
 * The live 1-second bars of a set of instruments, one item at a time: each call moves
 * the instrument's price a few ticks (a seeded random walk), the bar's high, low,
 * volume and trades following, a new bar at each new second. Prices leave as
 * fixed-point strings: the walk's float arithmetic never reaches a payload.
 */
export function createBarWalk(instruments: readonly Instrument[], seed = 7) {
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const state = instruments.map((ins) => ({
    ins,
    places: ins.decimals,
    price: Number(ins.kind === 'market' ? ins.referencePrice : '100'),
    second: 0,
    open: 0,
    high: 0,
    low: 0,
    volume: 0,
    trades: 0,
  }));

  /** The next bar of instrument `index`, at wall-clock time `nowMs`. */
  function next(index: number, nowMs: number): Bar {
    const s = state[index]!;
    const second = Math.floor(nowMs / 1000);
    s.price = Math.max(Number(valueStep(s.ins)) * 10, s.price * (1 + (random() - 0.5) * 0.0004));
    if (second !== s.second)
      Object.assign(s, { second, open: s.price, high: s.price, low: s.price, volume: 0, trades: 0 });
    s.high = Math.max(s.high, s.price);
    s.low = Math.min(s.low, s.price);
    s.volume += 1 + Math.floor(random() * 5);
    s.trades += 1;
    const f = (x: number) => x.toFixed(s.places);
    return {
      symbol: s.ins.symbol,
      interval: '1s',
      start: formatMicros(second * 1_000_000),
      open: f(s.open),
      high: f(s.high),
      low: f(s.low),
      close: f(s.price),
      volume: String(s.volume),
      trades: s.trades,
    };
  }

  return { next, size: state.length };
}
