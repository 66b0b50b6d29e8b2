import { describe, expect, it } from 'vitest';
import { formatMicros, parseTimestamp, type BarInterval, type Tick } from '@tickdesk/schemas';
import { createCandleAggregator, type Candle, type CandleTick } from './candle-aggregator.js';
import { naiveCandles, randomTicks, rng } from './naive.test-util.js';

const T0 = parseTimestamp('2024-03-01T09:59:58.500000Z')!;
const toInput = (t: Tick): CandleTick => ({ price: t.price, size: t.size, eventMicros: parseTimestamp(t.eventTime)! });
const strip = ({ symbol: _s, interval: _i, ...rest }: Candle) => rest;

/** Feed `ticks` in random batch sizes; return the last emitted state of every candle. */
function aggregate(ticks: Tick[], r: () => number, openBuckets = 10) {
  const agg = createCandleAggregator({ openBuckets });
  const latest = new Map<string, Candle>();
  let late = 0;
  for (let i = 0; i < ticks.length;) {
    const n = 1 + Math.floor(r() * 50);
    const out = agg.add('X', ticks.slice(i, i + n).map(toInput));
    const keys = out.changed.map((c) => `${c.interval}|${c.start}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const c of out.changed) latest.set(`${c.interval}|${c.start}`, c);
    late += out.late;
    i += n;
  }
  const of = (interval: BarInterval) =>
    [...latest.values()]
      .filter((c) => c.interval === interval)
      .sort((a, b) => a.start - b.start)
      .map(strip);
  return { agg, of, late };
}

describe('candle aggregator', () => {
  it.each([1, 2, 3, 4, 5])('equals a naive BigInt computation on random stream %i', (seed) => {
    const r = rng(seed);
    const ticks = randomTicks(r, 'X', 3_000, T0, { stepMicros: 400_000, maxLateMicros: 3_000_000 });
    const { of, late } = aggregate(ticks, r);
    expect(late).toBe(0);
    for (const interval of ['1s', '1m', '1h'] as const) expect(of(interval)).toEqual(naiveCandles(ticks, interval));
  });

  it('sums volumes exactly beyond 20 significant digits', () => {
    const agg = createCandleAggregator();
    const sizes = ['0.1', '0.2', '12345678901234.000000000000000001', '0.000000000000000000000001'];
    const { changed } = agg.add(
      'X',
      sizes.map((size) => ({ price: '1', size, eventMicros: T0 })),
    );
    expect(changed.find((c) => c.interval === '1h')?.volume).toBe('12345678901234.300000000000000001000001');
  });

  it('puts ticks into [start, start + interval) buckets at 1s, 1m and 1h edges', () => {
    const agg = createCandleAggregator();
    const at = (iso: string, price: string): CandleTick => ({ price, size: '1', eventMicros: parseTimestamp(iso)! });
    agg.add('X', [
      at('2024-03-01T09:59:59.999999Z', '1'),
      at('2024-03-01T10:00:00.000000Z', '2'),
      at('2024-03-01T10:00:00.999999Z', '3'),
      at('2024-03-01T10:00:01Z', '4'),
    ]);
    const starts = (i: BarInterval) => agg.open('X', i).map((c) => `${formatMicros(c.start)} ${c.trades}`);
    expect(starts('1s')).toEqual([
      '2024-03-01T09:59:59.000000Z 1',
      '2024-03-01T10:00:00.000000Z 2',
      '2024-03-01T10:00:01.000000Z 1',
    ]);
    expect(starts('1m')).toEqual(['2024-03-01T09:59:00.000000Z 1', '2024-03-01T10:00:00.000000Z 3']);
    expect(starts('1h')).toEqual(['2024-03-01T09:00:00.000000Z 1', '2024-03-01T10:00:00.000000Z 3']);
  });

  it('lets a late tick update an open bucket: open stays first, close becomes the late tick', () => {
    const agg = createCandleAggregator({ intervals: ['1s'], openBuckets: 3 });
    const tick = (s: number, price: string, size = '1'): CandleTick => ({
      price,
      size,
      eventMicros: T0 + s * 1_000_000,
    });
    agg.add('X', [tick(0, '10'), tick(0.5, '11'), tick(1, '12'), tick(2, '13')]);
    const { changed, late } = agg.add('X', [tick(0.2, '9.5', '0.25')]);
    expect(late).toBe(0);
    expect(changed.map(strip)).toEqual([
      { start: T0 - 500_000, open: '10', high: '10', low: '9.5', close: '9.5', volume: '1.25', trades: 2 },
    ]);
  });

  it('drops, and counts, a tick for a bucket that is no longer open', () => {
    const agg = createCandleAggregator({ intervals: ['1s'], openBuckets: 2 });
    const tick = (s: number): CandleTick => ({ price: '1', size: '1', eventMicros: T0 + 500_000 + s * 1_000_000 });
    agg.add('X', [tick(0), tick(1), tick(2)]);
    expect(agg.open('X', '1s').map((c) => c.start)).toEqual([T0 + 1_500_000, T0 + 2_500_000]);
    expect(agg.add('X', [tick(0)])).toEqual({ changed: [], late: 1 });
    // an older bucket that was never open is also closed once a newer one was evicted
    expect(agg.add('X', [tick(-5)]).late).toBe(1);
  });

  it('creates a missing bucket between open ones', () => {
    const agg = createCandleAggregator({ intervals: ['1s'], openBuckets: 5 });
    const tick = (s: number, price: string): CandleTick => ({
      price,
      size: '1',
      eventMicros: T0 + 500_000 + s * 1_000_000,
    });
    agg.add('X', [tick(0, '1'), tick(2, '3')]);
    agg.add('X', [tick(1, '2')]);
    expect(agg.open('X', '1s').map((c) => c.open)).toEqual(['1', '2', '3']);
  });

  it('continues restored candles and treats older buckets as closed when truncated', () => {
    const agg = createCandleAggregator({ intervals: ['1m'], openBuckets: 2 });
    const m = 60_000_000;
    const stored: Candle[] = [
      {
        symbol: 'X',
        interval: '1m',
        start: 10 * m,
        open: '5',
        high: '6',
        low: '4',
        close: '5.5',
        volume: '2.5',
        trades: 3,
      },
      {
        symbol: 'X',
        interval: '1m',
        start: 11 * m,
        open: '7',
        high: '7',
        low: '7',
        close: '7',
        volume: '1',
        trades: 1,
      },
    ];
    agg.restore('X', '1m', stored, true);
    const out = agg.add('X', [
      { price: '3.9', size: '0.5', eventMicros: 10 * m + 5 },
      { price: '1', size: '1', eventMicros: 9 * m },
    ]);
    expect(out.late).toBe(1);
    expect(out.changed.map(strip)).toEqual([
      { start: 10 * m, open: '5', high: '6', low: '3.9', close: '3.9', volume: '3', trades: 4 },
    ]);
  });

  it('merges stored candles into buckets aggregated before the restore, stored ticks first', () => {
    const r = rng(9);
    const ticks = randomTicks(r, 'X', 600, T0, { stepMicros: 300_000 });
    const agg = createCandleAggregator({ openBuckets: 500 });
    const earlier = createCandleAggregator({ openBuckets: 500 });
    earlier.add('X', ticks.slice(0, 250).map(toInput));
    agg.add('X', ticks.slice(250).map(toInput));
    for (const interval of ['1s', '1m', '1h'] as const) {
      const changed = agg.restore('X', interval, earlier.open('X', interval), false);
      expect(changed.length).toBeGreaterThan(0);
      expect(agg.open('X', interval).map(strip)).toEqual(naiveCandles(ticks, interval));
    }
  });

  it('leaves buckets up to a published final mark out of a restore, stored or aggregated before it', () => {
    const agg = createCandleAggregator({ intervals: ['1m'], openBuckets: 3 });
    const m = 60_000_000;
    const bar = (minute: number, close: string): Candle => ({
      symbol: 'X',
      interval: '1m',
      start: minute * m,
      open: '5',
      high: '6',
      low: '4',
      close,
      volume: '1',
      trades: 1,
    });
    expect(agg.closedThrough('X', '1m')).toBe(-Infinity);
    agg.add('X', [{ price: '9', size: '1', eventMicros: 10 * m + 1 }]);
    const changed = agg.restore('X', '1m', [bar(10, '5'), bar(11, '6'), bar(12, '7')], false, 11 * m);
    expect(changed).toEqual([]);
    expect(agg.closedThrough('X', '1m')).toBe(11 * m);
    expect(agg.open('X', '1m').map((c) => c.start)).toEqual([12 * m]);
    const late = agg.add('X', [
      { price: '1', size: '1', eventMicros: 11 * m + 5 },
      { price: '2', size: '1', eventMicros: 12 * m + 5 },
    ]);
    expect(late.late).toBe(1);
    expect(late.changed.map(strip)).toEqual([
      { start: 12 * m, open: '5', high: '6', low: '2', close: '2', volume: '2', trades: 2 },
    ]);
  });

  it('keeps symbols apart', () => {
    const agg = createCandleAggregator({ intervals: ['1s'] });
    agg.add('A', [{ price: '1', size: '1', eventMicros: T0 }]);
    agg.add('B', [{ price: '2', size: '1', eventMicros: T0 }]);
    expect(agg.open('A', '1s')[0]?.close).toBe('1');
    expect(agg.open('B', '1s')[0]?.close).toBe('2');
  });
});
