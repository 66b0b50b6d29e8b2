import { describe, expect, it } from 'vitest';
import { formatMicros, type Tick } from '@tickdesk/schemas';
import type { Candle } from './candle-aggregator.js';
import { RecorderError } from './errors.js';
import { candlesKey, encodeTickMember, ticksKey } from './redis-layout.js';
import { createRecorderStore } from './recorder-store.js';
import { usePrivateRedis } from './redis.test-util.js';
import type { WriteSet } from './write-buffer.js';

const redis = usePrivateRedis();
const limits = { maxTicksPerInstrument: 50, candleLimits: { '1s': 5, '1m': 5, '1h': 5 } };
const T0 = 1_709_287_200_000_000;

const tick = (seq: number, micros: number, price = '1.5'): Tick => ({
  symbol: 'ABC',
  seq,
  price,
  size: '0.001',
  side: 'buy',
  eventTime: formatMicros(micros),
  ingestTime: formatMicros(micros + 7),
});

function writeSet(ticks: Tick[], candles: Candle[] = []): WriteSet {
  const last = ticks[ticks.length - 1];
  return {
    ticks: new Map([
      [
        'ABC',
        ticks.map((t) => ({
          score: Date.parse(t.eventTime) * 1000 + Number(t.eventTime.slice(23, 26)),
          member: encodeTickMember(t),
        })),
      ],
    ]),
    last: new Map(last ? [['ABC', last]] : []),
    candles: new Map(candles.map((c) => [`${c.interval}|${c.start}`, c])),
    tickCount: ticks.length,
  };
}

const candle = (start: number, close: string, trades = 1): Candle => ({
  symbol: 'ABC',
  interval: '1s',
  start,
  open: '1',
  high: '2',
  low: '0.5',
  close,
  volume: '3.25',
  trades,
});

describe('recorder store', () => {
  it('pages ticks by event time, without losing or repeating ticks that share a timestamp', async () => {
    const store = createRecorderStore({ redis: redis.client, limits });
    // 40 ticks, four per microsecond value, arriving with event times out of order
    const ticks = Array.from({ length: 40 }, (_, i) => tick(i + 1, T0 + Math.floor(i / 4) * 10));
    await store.write(writeSet([...ticks.slice(20), ...ticks.slice(0, 20)]));
    for (const limit of [1, 3, 4, 7, 40, 100]) {
      const seen: Tick[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.ticks('ABC', T0, T0 + 1_000, limit, cursor);
        expect(page.ticks.length).toBeLessThanOrEqual(limit);
        seen.push(...page.ticks);
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(ticks);
    }
    const window = await store.ticks('ABC', T0 + 10, T0 + 30, 100);
    expect(window.ticks.map((t) => t.seq)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(window.nextCursor).toBeUndefined();
  });

  it('rewrites the same tick as the same member, and keeps only the newest maxTicks by event time', async () => {
    const store = createRecorderStore({ redis: redis.client, limits });
    const ticks = Array.from({ length: 80 }, (_, i) => tick(i + 1, T0 + i));
    await store.write(writeSet(ticks.slice(0, 30)));
    await store.write(writeSet(ticks.slice(0, 30)));
    expect(await redis.client.zcard(ticksKey('ABC'))).toBe(30);
    await store.write(writeSet(ticks.slice(30)));
    expect(await redis.client.zcard(ticksKey('ABC'))).toBe(50);
    const page = await store.ticks('ABC', 0, T0 + 1_000, 100);
    expect(page.ticks).toEqual(ticks.slice(30));
  });

  it('stores the last price and upserts candles by bucket start, trimmed to the limit', async () => {
    const store = createRecorderStore({ redis: redis.client, limits });
    await store.write(
      writeSet([tick(1, T0, '10.10'), tick(2, T0 + 5, '10.2')], [candle(T0, '1'), candle(T0 + 1_000_000, '1.5')]),
    );
    await store.write(writeSet([], [candle(T0, '1.25', 2)]));
    expect(await store.lastPrice('ABC')).toEqual({
      symbol: 'ABC',
      price: '10.2',
      size: '0.001',
      seq: 2,
      eventTime: formatMicros(T0 + 5),
      ingestTime: formatMicros(T0 + 12),
    });
    expect(await store.lastPrice('NOPE')).toBeUndefined();
    expect(await store.lastPrices()).toHaveLength(1);
    const bars = await store.candles('ABC', '1s', T0, T0 + 2_000_000);
    expect(bars).toEqual([
      {
        symbol: 'ABC',
        interval: '1s',
        start: formatMicros(T0),
        open: '1',
        high: '2',
        low: '0.5',
        close: '1.25',
        volume: '3.25',
        trades: 2,
      },
      {
        symbol: 'ABC',
        interval: '1s',
        start: formatMicros(T0 + 1_000_000),
        open: '1',
        high: '2',
        low: '0.5',
        close: '1.5',
        volume: '3.25',
        trades: 1,
      },
    ]);
    expect(await store.candles('ABC', '1s', T0, T0 + 1_000_000)).toHaveLength(1);
    await store.write(
      writeSet(
        [],
        Array.from({ length: 9 }, (_, i) => candle(T0 + (i + 2) * 1_000_000, String(i + 1))),
      ),
    );
    const kept = await store.candles('ABC', '1s', 0, T0 + 100_000_000);
    expect(kept.map((b) => b.close)).toEqual(['5', '6', '7', '8', '9']);
    expect(await redis.client.zcard(candlesKey('1s', 'ABC'))).toBe(5);
  });

  it('reads back seeds: last seq and the newest candles, flagged when older ones exist', async () => {
    const store = createRecorderStore({ redis: redis.client, limits });
    await store.write(
      writeSet(
        [tick(7, T0)],
        [0, 1, 2, 3].map((i) => candle(T0 + i * 1_000_000, String(i))),
      ),
    );
    const seeds = await store.seeds(['ABC', 'NEW'], 3);
    const abc = seeds.get('ABC')!;
    expect(abc.lastSeq).toBe(7);
    expect(abc.candles['1s'].truncated).toBe(true);
    expect(abc.candles['1s'].candles.map((c) => c.close)).toEqual(['1', '2', '3']);
    expect(abc.candles['1m']).toEqual({ candles: [], truncated: false });
    expect(seeds.get('NEW')?.lastSeq).toBeUndefined();
  });

  it('reads candles as stored with their starts and the final mark, which seeds also return', async () => {
    const store = createRecorderStore({ redis: redis.client, limits });
    const candles = [0, 1, 2, 3].map((i) => candle(T0 + i * 1_000_000, String(i)));
    const empty = await store.candleMembers('ABC', '1s', T0, T0 + 10_000_000, 10);
    expect(empty).toEqual({ members: [], starts: [], finalThrough: undefined });
    await store.write({ ...writeSet([], candles), final: new Map([['1s:ABC', T0 + 1_000_000]]) });
    const page = await store.candleMembers('ABC', '1s', T0 + 1_000_000, T0 + 10_000_000, 2);
    expect(page.starts).toEqual([T0 + 1_000_000, T0 + 2_000_000]);
    expect(page.members.map((m) => JSON.parse(m) as unknown[])).toEqual([
      [T0 + 1_000_000, '1', '2', '0.5', '1', '3.25', 1],
      [T0 + 2_000_000, '1', '2', '0.5', '2', '3.25', 1],
    ]);
    expect(page.finalThrough).toBe(T0 + 1_000_000);
    const seeds = await store.seeds(['ABC'], 2);
    expect(seeds.get('ABC')!.candles['1s'].finalThrough).toBe(T0 + 1_000_000);
    expect(seeds.get('ABC')!.candles['1m']).toEqual({ candles: [], truncated: false });
  });

  it('rejects malformed cursors and ranges with stable codes', async () => {
    const store = createRecorderStore({ redis: redis.client, limits });
    await expect(store.ticks('ABC', 0, 10, 10, 'nope')).rejects.toMatchObject({ code: 'TICKDESK_RECORDER_BAD_CURSOR' });
    await expect(store.ticks('ABC', 10, 0, 10)).rejects.toBeInstanceOf(RecorderError);
    await expect(store.candles('ABC', '1m', 0, 10, 0)).rejects.toMatchObject({ code: 'TICKDESK_RECORDER_BAD_RANGE' });
  });
});
