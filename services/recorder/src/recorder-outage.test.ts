import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { parseTimestamp, type Tick } from '@tickdesk/schemas';
import { ticksKey } from './redis-layout.js';
import { createRecorder } from './recorder.js';
import { randomTicks, rng } from './naive.test-util.js';
import { privateRedis, until } from './redis.test-util.js';

const log = pino({ level: 'silent' });
const T0 = parseTimestamp('2024-03-01T12:00:00Z')!;
let redis: Awaited<ReturnType<typeof privateRedis>>;

beforeAll(async () => {
  redis = await privateRedis();
});
afterAll(() => redis.close());

const batch = (ticks: Tick[]) => ({ symbol: ticks[0]!.symbol, ticks, conflated: 0 });

describe('recorder when Redis goes away', () => {
  it('turns degraded without crashing, keeps the data queued, and recovers when Redis is back', async () => {
    const client = redis.client({ maxRetriesPerRequest: 1, retryStrategy: () => 100 });
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
    expect((await rec.store.lastPrice('OUT'))?.seq).toBe(ticks[399]!.seq);
    await rec.stop();
  });

  it('bounds memory while a write hangs, counts what left the history, and catches up afterwards', async () => {
    const client = redis.client(); // default options: commands wait in the offline queue
    const ticks = randomTicks(rng(22), 'HANG', 6_000, T0);
    const rec = createRecorder({ redis: client, log, config: { flushIntervalMs: 20, flushTimeoutMs: 300, maxPendingTicks: 1_000, flushMaxTicks: 500 } });
    await rec.start();
    await redis.down();
    for (let i = 0; i < ticks.length; i += 100) rec.ingest(batch(ticks.slice(i, i + 100)));
    await until(() => rec.state() === 'degraded');
    const stats = rec.stats();
    expect(stats.pendingTicks).toBeLessThanOrEqual(1_000 + 500); // buffer + ticks held for warm-up
    expect(stats.dropped.buffer_full).toBeGreaterThanOrEqual(4_000);

    await redis.up();
    await until(() => rec.state() === 'running' && rec.stats().pendingTicks === 0, 20_000);
    const stored = await client.zcard(ticksKey('HANG'));
    expect(stored + rec.stats().dropped.buffer_full).toBe(6_000);
    expect((await rec.store.lastPrice('HANG'))?.seq).toBe(ticks[5_999]!.seq);
    const bars = await rec.store.candles('HANG', '1h', 0, T0 + 3_600_000_000);
    expect(bars.reduce((n, b) => n + b.trades, 0)).toBe(6_000);
    await rec.stop();
  });
});
