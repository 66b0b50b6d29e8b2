import { describe, expect, it } from 'vitest';
import { createBarBuilder } from './bar-builder.js';
import type { AcceptedTick } from './validator.js';

const base = Date.UTC(2026, 0, 1) * 1000;
const tick = (seq: number, price: string, size: string, dtMicros: number): [AcceptedTick] => [
  { symbol: 'X', seq, price, size, side: 'buy', eventMicros: base + dtMicros, ingestMicros: base + dtMicros },
];

describe('1-second bar builder', () => {
  it('closes a bar when a later second arrives, with exact OHLCV', () => {
    let wall = 0;
    const bars = createBarBuilder({ now: () => wall });
    const ticks = [
      tick(1, '0.1', '0.1', 0),
      tick(2, '0.3', '0.2', 10),
      tick(3, '0.05', '1', 20),
      tick(4, '0.2', '0.000000000000000001', 999_999),
    ];
    for (const [t] of ticks) expect(bars.add(t)).toBeUndefined();
    const closed = bars.add(...tick(5, '7', '1', 1_000_000));
    expect(closed).toEqual({
      symbol: 'X',
      interval: '1s',
      start: '2026-01-01T00:00:00.000000Z',
      open: '0.1',
      high: '0.3',
      low: '0.05',
      close: '0.2',
      volume: '1.300000000000000001',
      trades: 4,
    });
    wall = 2000;
    expect(bars.flushIdle()).toMatchObject([{ open: '7', trades: 1 }]);
  });

  it('sums sizes with more than 18 decimals exactly too', () => {
    const bars = createBarBuilder({ now: () => 0 });
    bars.add(...tick(1, '10', '0.0000000000000000001', 0));
    bars.add(...tick(2, '10', '2.5', 1));
    expect(bars.flushIdle(true)[0]?.volume).toBe('2.5000000000000000001');
  });

  it('sums exactly across the fast, scaled and Decimal ranges', () => {
    const bars = createBarBuilder({ now: () => 0 });
    const sizes = ['90000000', '1000000.00000001', '0.123456789', '0.1', '12345678901234567890.5'];
    sizes.forEach((size, i) => bars.add(...tick(i + 1, '10', size, i)));
    expect(bars.flushIdle(true)[0]?.volume).toBe('12345678901325567890.723456799');
  });

  it('compares prices as decimals, not as text', () => {
    const bars = createBarBuilder({ now: () => 0 });
    for (const [i, p] of ['9.5', '10', '100.25', '99.999'].entries()) bars.add(...tick(i + 1, p, '1', i));
    expect(bars.flushIdle(true)[0]).toMatchObject({ high: '100.25', low: '9.5' });
  });
});
