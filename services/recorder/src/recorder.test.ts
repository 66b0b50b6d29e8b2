import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { formatMicros, parseTimestamp, type Tick, type TickBatch } from '@tickdesk/schemas';
import { candlesKey, finalKey, ticksKey } from './redis-layout.js';
import { createRecorder, type Recorder } from './recorder.js';
import { naiveBars, randomTicks, rng } from './naive.test-util.js';
import { usePrivateRedis, until } from './redis.test-util.js';

const log = pino({ level: 'silent' });
const T0 = parseTimestamp('2024-03-01T09:58:30Z')!;
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'EURUSD'];
const redis = usePrivateRedis();

function batches(ticks: Tick[], r: () => number): TickBatch[] {
  const out: TickBatch[] = [];
  for (let i = 0; i < ticks.length;) {
    const n = 1 + Math.floor(r() * 40);
    out.push({ symbol: ticks[0]!.symbol, ticks: ticks.slice(i, i + n), conflated: 0 });
    i += n;
  }
  return out;
}

/** Interleave the batches of several symbols, each symbol's in order. */
function interleave(lists: TickBatch[][], r: () => number): TickBatch[] {
  const queues = lists.map((l) => [...l]);
  const out: TickBatch[] = [];
  while (queues.some((q) => q.length)) {
    const live = queues.filter((q) => q.length);
    out.push(live[Math.floor(r() * live.length)]!.shift()!);
  }
  return out;
}

const byEventThenSeq = (a: Tick, b: Tick) =>
  parseTimestamp(a.eventTime)! - parseTimestamp(b.eventTime)! || a.seq - b.seq;

async function allTicks(rec: Recorder, symbol: string, limit: number): Promise<Tick[]> {
  const seen: Tick[] = [];
  let cursor: string | undefined;
  do {
    const page = await rec.store.ticks(symbol, 0, T0 + 10 * 3_600_000_000, limit, cursor);
    seen.push(...page.ticks);
    cursor = page.nextCursor;
  } while (cursor);
  return seen;
}

describe('recorder against a real Redis', () => {
  it('records thousands of ticks: last price, paged history and candles equal an independent computation', async () => {
    const r = rng(11);
    const streams = SYMBOLS.map((s, i) =>
      randomTicks(r, s, 1_500 + i * 500, T0, { stepMicros: 300_000, maxLateMicros: 2_000_000, seq0: 1_000 * i }),
    );
    const rec = createRecorder({ redis: redis.client, log, config: { maxTicksPerInstrument: 10_000 } });
    for (const b of interleave(
      streams.map((s) => batches(s, r)),
      r,
    ))
      rec.ingest(b);
    await rec.flush();
    const stats = rec.stats();
    expect(stats.ticks).toBe(6_000);
    expect(stats.dropped).toEqual({
      buffer_full: 0,
      duplicate: 0,
      malformed: 0,
      late_candle: 0,
      candle_buffer_full: 0,
      stale_publisher: 0,
    });
    expect(stats.pendingTicks).toBe(0);
    for (const ticks of streams) {
      const symbol = ticks[0]!.symbol;
      const last = ticks[ticks.length - 1]!;
      expect(await rec.store.lastPrice(symbol)).toEqual({
        symbol,
        price: last.price,
        size: last.size,
        seq: last.seq,
        eventTime: last.eventTime,
        ingestTime: last.ingestTime,
      });
      expect(await allTicks(rec, symbol, 333)).toEqual([...ticks].sort(byEventThenSeq));
      for (const interval of ['1s', '1m', '1h'] as const) {
        expect(await rec.store.candles(symbol, interval, 0, T0 + 10 * 3_600_000_000, 100_000)).toEqual(
          naiveBars(ticks, interval),
        );
      }
    }
  });

  it('enforces maxTicksPerInstrument and candle limits', async () => {
    const r = rng(12);
    const ticks = randomTicks(r, 'ABC', 3_000, T0, { stepMicros: 200_000 });
    const rec = createRecorder({
      redis: redis.client,
      log,
      config: { maxTicksPerInstrument: 500, candleLimits: { '1s': 40, '1m': 43_200, '1h': 8_760 } },
    });
    for (const b of batches(ticks, r)) rec.ingest(b);
    await rec.flush();
    expect(await redis.client.zcard(ticksKey('ABC'))).toBe(500);
    expect(await allTicks(rec, 'ABC', 1_000)).toEqual(ticks.slice(-500));
    expect(await redis.client.zcard(candlesKey('1s', 'ABC'))).toBe(40);
    expect(await rec.store.candles('ABC', '1s', 0, T0 + 3_600_000_000_0)).toEqual(naiveBars(ticks, '1s').slice(-40));
  });

  it('continues candles after a restart and skips ticks it already stored', async () => {
    const r = rng(13);
    const ticks = randomTicks(r, 'ABC', 2_000, T0, { stepMicros: 100_000 });
    const first = createRecorder({ redis: redis.client, log });
    for (const b of batches(ticks.slice(0, 1_234), r)) first.ingest(b);
    await first.flush();
    const second = createRecorder({ redis: redis.client, log });
    for (const b of batches(ticks.slice(1_200), r)) second.ingest(b); // 34 ticks delivered again
    await second.flush();
    expect(second.stats().dropped.duplicate).toBe(34);
    for (const interval of ['1s', '1m', '1h'] as const) {
      expect(await second.store.candles('ABC', interval, 0, T0 + 3_600_000_000_0, 100_000)).toEqual(
        naiveBars(ticks, interval),
      );
    }
    expect((await second.store.lastPrice('ABC'))?.seq).toBe(ticks[ticks.length - 1]!.seq);
  });

  it('publishes how far candles are final; a late tick never changes a final candle, also after a restart', async () => {
    const r = rng(16);
    const ticks = randomTicks(r, 'ABC', 400, T0, { stepMicros: 250_000 });
    const first = createRecorder({ redis: redis.client, log, config: { openBuckets: 10 } });
    for (const b of batches(ticks, r)) first.ingest(b);
    await first.flush();
    const starts = (await redis.client.zrange(candlesKey('1s', 'ABC'), 0, -1, 'WITHSCORES'))
      .filter((_, i) => i % 2 === 1)
      .map(Number);
    const mark = Number(await redis.client.hget(finalKey('ABC'), '1s'));
    // The eleventh newest bucket was the last one to close.
    expect(mark).toBe(starts[starts.length - 11]);
    expect(await redis.client.hexists(finalKey('ABC'), '1h')).toBe(0);
    const final = await first.store.candles('ABC', '1s', 0, mark + 1, 100_000);
    expect(final).toEqual(naiveBars(ticks, '1s').slice(0, starts.length - 10));

    const lateTick = (seq: number): Tick => ({
      ...ticks[0]!,
      seq,
      price: '999999',
      eventTime: formatMicros(mark + 1),
      ingestTime: formatMicros(mark + 1),
    });
    first.ingest({ symbol: 'ABC', ticks: [lateTick(1_000_000)], conflated: 0 });
    await first.flush();
    const second = createRecorder({ redis: redis.client, log, config: { openBuckets: 50 } });
    second.ingest({ symbol: 'ABC', ticks: [lateTick(1_000_001)], conflated: 0 });
    await second.flush();
    expect(first.stats().dropped.late_candle).toBe(1);
    expect(second.stats().dropped.late_candle).toBe(1);
    expect(await second.store.candles('ABC', '1s', 0, mark + 1, 100_000)).toEqual(final);
    expect(Number(await redis.client.hget(finalKey('ABC'), '1s'))).toBe(mark);
  });

  it('flushes on its own timer and coalesces writes into few round trips', async () => {
    const r = rng(14);
    const ticks = randomTicks(r, 'ABC', 5_000, T0);
    const rec = createRecorder({ redis: redis.client, log, config: { flushIntervalMs: 20 } });
    await rec.start();
    expect(rec.state()).toBe('running');
    for (const b of batches(ticks, r)) rec.ingest(b);
    await until(async () => (await redis.client.zcard(ticksKey('ABC'))) === 5_000);
    expect(rec.stats().flushes).toBeLessThan(10);
    await rec.stop();
    expect(rec.state()).toBe('stopped');
    expect(await rec.registry.metrics()).toMatch(/tickdesk_recorder_ticks_total 5000/);
  });
});

describe('recorder input checks', () => {
  it('counts and skips malformed ticks instead of throwing', async () => {
    const rec = createRecorder({ redis: redis.client, log });
    const good = randomTicks(rng(15), 'ABC', 3, T0);
    const bad = [
      { ...good[0]!, seq: 10, price: 'NaN' },
      { ...good[0]!, seq: 11, size: '1e3' },
      { ...good[0]!, seq: 12, eventTime: '2024-13-01T00:00:00Z' },
      { ...good[0]!, seq: 13, symbol: 'OTHER' },
      { ...good[0]!, seq: 14, price: '0' },
    ];
    expect(() => rec.ingest({ symbol: 'ABC', ticks: [...good, ...bad], conflated: 2 })).not.toThrow();
    await rec.flush();
    expect(rec.stats()).toMatchObject({ ticks: 8, conflated: 2, dropped: { malformed: 5 } });
    expect(await redis.client.zcard(ticksKey('ABC'))).toBe(3);
  });

  it("records a sensor's zero and negative values exactly (kind='sensor'), and still refuses them in a market batch", async () => {
    const r = rng(16);
    // Readings around a freezer's -18.5 °C and across zero: negative, zero and positive values.
    const ticks = randomTicks(r, 'IOT.X', 1_200, T0, { stepMicros: 250_000 }).map((t, i) => ({
      ...t,
      size: '0',
      price: i % 7 === 0 ? '0' : i % 3 === 0 ? t.price : `-${t.price}`,
    }));
    const rec = createRecorder({ redis: redis.client, log });
    for (const b of batches(ticks, r)) rec.ingest({ ...b, kind: 'sensor' });
    rec.ingest({ symbol: 'ABC', ticks: [{ ...ticks[0]!, symbol: 'ABC', price: '-18.5' }], conflated: 0 });
    await rec.flush();
    expect(rec.stats()).toMatchObject({ ticks: 1_201, dropped: { malformed: 1 } });
    const last = ticks[ticks.length - 1]!;
    expect(last.price.startsWith('-')).toBe(true);
    expect(await rec.store.lastPrice('IOT.X')).toEqual({
      symbol: 'IOT.X',
      price: last.price,
      size: '0',
      seq: last.seq,
      eventTime: last.eventTime,
      ingestTime: last.ingestTime,
    });
    expect(await rec.store.lastPrice('ABC')).toBeUndefined();
    for (const interval of ['1s', '1m', '1h'] as const) {
      const candles = await rec.store.candles('IOT.X', interval, 0, T0 + 10 * 3_600_000_000, 100_000);
      expect(candles).toEqual(naiveBars(ticks, interval));
      if (interval === '1h') expect(candles.some((c) => c.low.startsWith('-') && !c.high.startsWith('-'))).toBe(true);
    }
  });
});
