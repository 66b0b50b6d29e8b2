import { describe, expect, it } from 'vitest';
import type { RawTick } from '@tickdesk/feed-core';
import { DEFAULT_INSTRUMENTS, Decimal, isDecimalString, isMultipleOf, type MarketInstrument } from '@tickdesk/schemas';
import { syntheticTicks } from './synthetic-ticks.js';
import { formatScaled, toScaled } from './scaled.js';
import { SyntheticFeedError } from './errors.js';

const take = (n: number, seed: number, instruments = DEFAULT_INSTRUMENTS): RawTick[] => [
  ...syntheticTicks({ instruments, seed, count: n, startMicros: 0 }),
];
const essence = (t: RawTick) => [t.symbol, t.seq, t.price, t.size, t.side];

describe('syntheticTicks', () => {
  it('is reproducible for a seed and differs across seeds', () => {
    const a = take(2000, 42).map(essence);
    expect(take(2000, 42).map(essence)).toEqual(a);
    expect(take(2000, 43).map(essence)).not.toEqual(a);
    expect(new Set(a.map((t) => t[0])).size).toBe(DEFAULT_INSTRUMENTS.length);
  });

  it('prices are positive multiples of tickSize, sizes 1..50 lots, seq per symbol from 1', () => {
    const bySymbol = new Map(DEFAULT_INSTRUMENTS.map((i) => [i.symbol, i]));
    const lastSeq = new Map<string, number>();
    const problems: string[] = [];
    for (const t of take(20_000, 7)) {
      const inst = bySymbol.get(t.symbol)!;
      const lots = new Decimal(t.size).div(inst.lotSize);
      if (!isDecimalString(t.price) || !new Decimal(t.price).gt(0)) problems.push(`bad price ${t.price}`);
      else if (!isMultipleOf(t.price, inst.tickSize)) problems.push(`${t.price} not a multiple of ${inst.tickSize}`);
      if (!isDecimalString(t.size) || !lots.isInteger() || lots.lt(1) || lots.gt(50))
        problems.push(`bad size ${t.size}`);
      if (t.seq !== (lastSeq.get(t.symbol) ?? 0) + 1) problems.push(`${t.symbol} seq ${t.seq}`);
      if (t.side !== 'buy' && t.side !== 'sell') problems.push(`side ${t.side}`);
      lastSeq.set(t.symbol, t.seq!);
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('starts at the reference price and reflects at one tick instead of reaching zero', () => {
    const tiny: MarketInstrument = {
      ...DEFAULT_INSTRUMENTS[0]!,
      symbol: 'TINY',
      tickSize: '0.25',
      referencePrice: '0.25',
    };
    const ticks = take(5000, 1, [tiny]);
    const prices = ticks.map((t) => new Decimal(t.price));
    expect(prices[0]!.sub('0.25').abs().lte('0.5')).toBe(true);
    expect(prices.every((p) => p.gte('0.25') && isMultipleOf(p.toFixed(), '0.25'))).toBe(true);
    expect(prices.filter((p) => p.eq('0.25')).length).toBeGreaterThan(0);
  });

  it('spaces event times at the requested rate', () => {
    const ticks = [
      ...syntheticTicks({
        instruments: DEFAULT_INSTRUMENTS,
        seed: 1,
        ratePerSecond: 4,
        count: 5,
        startMicros: 1_000_000,
      }),
    ];
    expect(ticks.map((t) => t.eventTimeMicros)).toEqual([1_000_000, 1_250_000, 1_500_000, 1_750_000, 2_000_000]);
  });

  it('refuses a bad rate or an empty instrument list with a coded error', () => {
    expect(() => take(1, 1, [])).toThrow(SyntheticFeedError);
    expect(() => [
      ...syntheticTicks({ instruments: DEFAULT_INSTRUMENTS, seed: 1, ratePerSecond: 0, count: 1 }),
    ]).toThrow(expect.objectContaining({ code: 'TICKDESK_SYNTHETIC_CONFIG' }) as Error);
  });
});

describe('scaled decimals', () => {
  it('formats exact canonical strings from integer units', () => {
    expect(formatScaled(590000, 2)).toBe('5900');
    expect(formatScaled(108000, 5)).toBe('1.08');
    expect(formatScaled(5, 3)).toBe('0.005');
    expect(formatScaled(1000, 0)).toBe('1000');
    expect(toScaled('0.25')).toEqual({ units: 25, scale: 2 });
    expect(() => toScaled('1e3')).toThrow(TypeError);
  });
});

describe('firstSeq', () => {
  it('starts every instrument at the given seq', async () => {
    const { createRandomWalk } = await import('./random-walk.js');
    const { DEFAULT_INSTRUMENTS } = await import('@tickdesk/schemas');
    const walk = createRandomWalk({
      instruments: DEFAULT_INSTRUMENTS.slice(0, 1),
      seed: 1,
      firstSeq: 1_700_000_000_000_000,
    });
    expect([walk.next(1).seq, walk.next(2).seq]).toEqual([1_700_000_000_000_000, 1_700_000_000_000_001]);
  });
});
