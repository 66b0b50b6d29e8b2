import { describe, expect, it } from 'vitest';
import { chartCandle, chartPrice, chartPriceFormat, chartTime } from './chart-numbers.js';

describe('chart numbers', () => {
  it('turns a decimal string into exactly the double its literal is', () => {
    expect(chartPrice('65000.12')).toBe(65000.12);
    expect(chartPrice('0.1')).toBe(0.1);
    expect(chartPrice('1.08123')).toBe(1.08123);
    expect(chartPrice('9007199254740993')).toBe(9007199254740992);
    // More digits than a double holds: the nearest double, not a truncation artefact.
    expect(chartPrice('0.30000000000000000001')).toBe(0.3);
    expect(chartPrice('151.2')).toBe(1512 / 10);
  });

  it('refuses what is not a decimal string', () => {
    for (const bad of ['', '1e3', '-0', '--1', '-1e3', '0x10', ' 1', '1.', 'NaN', 'Infinity', '1,5', '01'])
      expect(chartPrice(bad), bad).toBeUndefined();
  });

  it("takes a sensor's zero and negative values (a freezer at -18.5 °C)", () => {
    expect(chartPrice('-18.5')).toBe(-18.5);
    expect(chartPrice('0')).toBe(0);
    expect(chartPrice('-0.30000000000000000001')).toBe(-0.3);
    expect(chartCandle(1_700_000_000, { open: '-18.5', high: '0', low: '-19.25', close: '-0.5' })).toEqual({
      time: 1_700_000_000,
      open: -18.5,
      high: 0,
      low: -19.25,
      close: -0.5,
    });
  });

  it('converts a whole candle, or none of it', () => {
    expect(chartCandle(1_700_000_000, { open: '1.1', high: '1.3', low: '1.0', close: '1.2' })).toEqual({
      time: 1_700_000_000,
      open: 1.1,
      high: 1.3,
      low: 1,
      close: 1.2,
    });
    expect(chartCandle(1, { open: '1', high: 'x', low: '1', close: '1' })).toBeUndefined();
  });

  it('gives unix seconds for a timestamp', () => {
    expect(chartTime('2026-11-21T10:00:00.999999Z')).toBe(Date.UTC(2026, 10, 21, 10) / 1000);
    expect(chartTime('2026-02-30T00:00:00Z')).toBeUndefined();
  });

  it('takes the price format from the tick size', () => {
    expect(chartPriceFormat('0.25')).toEqual({ type: 'price', precision: 2, minMove: 0.25 });
    expect(chartPriceFormat('0.00001')).toEqual({ type: 'price', precision: 5, minMove: 0.00001 });
    expect(chartPriceFormat('1')).toEqual({ type: 'price', precision: 0, minMove: 1 });
  });
});
