import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { parseTimestamp, type Tick } from '@tickdesk/schemas';
import { finalKey, ticksKey } from './redis-layout.js';
import { createRecorder } from './recorder.js';
import { naiveBars, randomTicks, rng } from './naive.test-util.js';
import { usePrivateRedis, until } from './redis.test-util.js';

const log = pino({ level: 'silent' });
const T0 = parseTimestamp('2024-03-01T12:00:00Z')!;
const redis = usePrivateRedis({ flush: false });

const batch = (ticks: Tick[]) => ({ symbol: ticks[0]!.symbol, ticks, conflated: 0 });

describe('recorder when Redis goes away', () => {
  it('turns degraded without crashing, keeps the data queued, and recovers when Redis is back', async () => {
    const client = redis.connect({ maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    const ticks = randomTicks(rng(21), 'OUT', 400, T0);
    const rec = createRecorder({ redis: client, log, config: { flushIntervalMs: 20 } });
    await rec.start();
    rec.ingest(batch(ticks.slice(0, 200)));
    await until(async () => (await client.zcard(ticksKey('OUT'))) === 200);

    await redis.down();
    await until(() => rec.state() === 'degraded');
    rec.ingest(batch(ticks.slice(200)));
    await expect(rec.flush()).rejects.toThrow();
    expect(rec.state()).toBe('degraded');
    expect(rec.stats().flushErrors).toBeGreaterThan(0);
    expect(rec.stats().pendingTicks).toBe(200);

    await redis.up();
    await until(() => rec.state() === 'running', 15_000);
    await until(async () => (await client.zcard(ticksKey('OUT'))) === 400);
    // The last prices are written after the instruments' scripts: let the flush under way end.
    await rec.flush();
    expect((await rec.store.lastPrice('OUT'))?.seq).toBe(ticks[399]!.seq);
    await rec.stop();
  });

  it('bounds memory while a write waits for Redis, counts what left the history, and catches up afterwards', async () => {
    const client = redis.connect(); // default options: commands wait in the offline queue
    const ticks = randomTicks(rng(22), 'HANG', 6_000, T0);
    const rec = createRecorder({
      redis: client,
      log,
      config: { flushIntervalMs: 20, maxPendingTicks: 1_000, flushMaxTicks: 500 },
    });
    await rec.start();
    rec.ingest(batch(ticks.slice(0, 100)));
    await rec.flush();
    await redis.down();
    rec.ingest(batch(ticks.slice(100, 200)));
    const waiting = rec.flush().then(
      () => 'written',
      () => 'failed',
    );
    for (let i = 200; i < ticks.length; i += 100) {
      rec.ingest(batch(ticks.slice(i, i + 100)));
      await new Promise((r) => setImmediate(r));
    }
    expect(rec.state()).toBe('degraded');
    const stats = rec.stats();
    expect(stats.pendingTicks).toBeLessThanOrEqual(1_000);
    expect(stats.dropped.buffer_full).toBeGreaterThanOrEqual(4_500);

    await redis.up();
    expect(await waiting).toBe('written');
    await until(() => rec.state() === 'running' && rec.stats().pendingTicks === 0, 20_000);
    await rec.flush(); // the last prices come after the instruments' scripts
    const stored = await client.zcard(ticksKey('HANG'));
    expect(stored + rec.stats().dropped.buffer_full).toBe(6_000);
    expect((await rec.store.lastPrice('HANG'))?.seq).toBe(ticks[5_999]!.seq);
    const bars = await rec.store.candles('HANG', '1h', 0, T0 + 3_600_000_000);
    expect(bars.reduce((n, b) => n + b.trades, 0)).toBe(6_000);
    await rec.stop();
  });

  it('turns degraded when a write stalls past flushTimeoutMs, and running when it completes', async () => {
    const client = redis.connect();
    const admin = redis.connect();
    const rec = createRecorder({ redis: client, log, config: { flushIntervalMs: 20, flushTimeoutMs: 200 } });
    await rec.start();
    rec.ingest(batch(randomTicks(rng(23), 'SLOW', 50, T0)));
    await rec.flush();
    rec.ingest(batch(randomTicks(rng(23), 'SLOW', 60, T0).slice(50)));
    await admin.call('CLIENT', 'PAUSE', '1000', 'WRITE');
    const write = rec.flush();
    await until(() => rec.state() === 'degraded');
    await write;
    expect(rec.state()).toBe('running');
    expect(await client.zcard(ticksKey('SLOW'))).toBe(60);
    await rec.stop();
  });

  it('aggregates a symbol first seen during an outage, then merges the candles Redis had stored', async () => {
    const client = redis.connect();
    const ticks = randomTicks(rng(24), 'COLD', 6_000, T0, { stepMicros: 50_000 });
    const before = createRecorder({ redis: client, log });
    before.ingest(batch(ticks.slice(0, 1_000)));
    await before.flush();

    await redis.down();
    const after = createRecorder({
      redis: client,
      log,
      config: { flushIntervalMs: 20, flushMaxTicks: 500, flushTimeoutMs: 300 },
    });
    await after.start();
    for (let i = 1_000; i < ticks.length; i += 100) {
      after.ingest(batch(ticks.slice(i, i + 100)));
      await new Promise((r) => setImmediate(r));
    }
    expect(after.state()).toBe('degraded');
    await redis.up();
    await until(() => after.state() === 'running' && after.stats().pendingTicks === 0, 20_000);
    expect(await client.zcard(ticksKey('COLD'))).toBe(6_000);
    for (const interval of ['1s', '1m', '1h'] as const) {
      expect(await after.store.candles('COLD', interval, 0, T0 + 3_600_000_000, 100_000)).toEqual(
        naiveBars(ticks, interval),
      );
    }
    await after.stop();
  });

  it('drops what it aggregated during an outage for buckets already final, keeping them as stored', async () => {
    const client = redis.connect();
    const ticks = randomTicks(rng(25), 'FIN', 2_000, T0, { stepMicros: 50_000 });
    const before = createRecorder({ redis: client, log });
    before.ingest(batch(ticks));
    await before.flush();
    const mark = Number(await client.hget(finalKey('FIN'), '1s'));
    const stored = await before.store.candles('FIN', '1s', 0, mark + 1, 100_000);
    expect(stored.length).toBeGreaterThan(20);

    await redis.down();
    const after = createRecorder({
      redis: client,
      log,
      config: { flushIntervalMs: 20, flushMaxTicks: 100, flushTimeoutMs: 300 },
    });
    await after.start();
    // The same venue replayed from the start: every one of these buckets is final.
    const replay = ticks
      .filter((t) => parseTimestamp(t.eventTime)! <= mark)
      .map((t, i) => ({ ...t, seq: 10_000_000 + i, price: '1' }));
    expect(replay.length).toBeGreaterThan(300);
    for (let i = 0; i < replay.length; i += 100) {
      after.ingest(batch(replay.slice(i, i + 100)));
      await new Promise((r) => setImmediate(r));
    }
    await redis.up();
    await until(() => after.state() === 'running' && after.stats().pendingTicks === 0, 20_000);
    expect(after.stats().dropped.late_candle).toBeGreaterThan(0);
    expect(await after.store.candles('FIN', '1s', 0, mark + 1, 100_000)).toEqual(stored);
    await after.stop();
  });
});
