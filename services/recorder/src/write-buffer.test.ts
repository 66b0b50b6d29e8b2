import { describe, expect, it } from 'vitest';
import type { Tick } from '@tickdesk/schemas';
import type { Candle } from './candle-aggregator.js';
import { createWriteBuffer } from './write-buffer.js';

const ticks = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ score: from + i, member: `m${from + i}` }));
const candle = (start: number, close: string): Candle => ({
  symbol: 'A',
  interval: '1s',
  start,
  open: '1',
  high: '1',
  low: '1',
  close,
  volume: '1',
  trades: 1,
});
const tick = {
  symbol: 'A',
  seq: 1,
  price: '1',
  size: '1',
  side: 'buy',
  eventTime: '2024-01-01T00:00:00Z',
  ingestTime: '2024-01-01T00:00:00Z',
} satisfies Tick;

describe('write buffer', () => {
  it('coalesces candles and last prices, groups ticks by symbol', () => {
    const buf = createWriteBuffer({ maxTicks: 100, maxCandles: 100 });
    buf.addTicks('A', ticks(3));
    buf.addTicks('B', ticks(2, 10));
    buf.addTicks('A', ticks(1, 3));
    buf.putCandles([candle(1, '1'), candle(2, '2')]);
    buf.putCandles([candle(1, '1.5')]);
    buf.setLast('A', tick);
    buf.setLast('A', { ...tick, seq: 2 });
    const set = buf.take()!;
    expect(set.tickCount).toBe(6);
    expect(set.ticks.get('A')?.map((t) => t.score)).toEqual([0, 1, 2, 3]);
    expect([...set.candles.values()].map((c) => c.close)).toEqual(['2', '1.5']);
    expect(set.last.get('A')?.seq).toBe(2);
    expect(buf.take()).toBeUndefined();
  });

  it('drops the oldest ticks and least recently touched candles past its bounds', () => {
    const buf = createWriteBuffer({ maxTicks: 5, maxCandles: 2 });
    expect(buf.addTicks('A', ticks(4))).toBe(0);
    expect(buf.addTicks('A', ticks(3, 4))).toBe(2);
    expect(buf.putCandles([candle(1, 'a'), candle(2, 'b'), candle(1, 'c'), candle(3, 'd')])).toBe(1);
    const set = buf.take()!;
    expect(set.ticks.get('A')?.map((t) => t.score)).toEqual([2, 3, 4, 5, 6]);
    expect([...set.candles.values()].map((c) => c.close)).toEqual(['c', 'd']);
  });

  it('puts a failed set back under newer changes, within the bounds', () => {
    const buf = createWriteBuffer({ maxTicks: 5, maxCandles: 10 });
    buf.addTicks('A', ticks(3));
    buf.putCandles([candle(1, 'old'), candle(2, 'old')]);
    buf.setLast('A', tick);
    const failed = buf.take()!;
    buf.addTicks('A', ticks(3, 3));
    buf.putCandles([candle(2, 'new')]);
    buf.setLast('A', { ...tick, seq: 9 });
    expect(buf.requeue(failed)).toEqual({ ticks: 1, candles: 0 });
    const set = buf.take()!;
    expect(set.ticks.get('A')?.map((t) => t.score)).toEqual([1, 2, 3, 4, 5]);
    expect([...set.candles.values()].map((c) => `${c.start}:${c.close}`)).toEqual(['1:old', '2:new']);
    expect(set.last.get('A')?.seq).toBe(9);
  });
});
