import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { formatMicros, parseTimestamp, type Tick, type TickBatch } from '@tickdesk/schemas';
import { legacyMarketKeys } from '@tickdesk/store';
import type { Candle } from './candle-aggregator.js';
import { candlesKey, decodeLast, encodeTickMember, finalKey, LAST_KEY, recordedKey, ticksKey } from './redis-layout.js';
import { createRecorder } from './recorder.js';
import { createRecorderStore } from './recorder-store.js';
import { naiveCandles, randomTicks, rng } from './naive.test-util.js';
import { usePrivateRedis } from './redis.test-util.js';
import type { WriteSet } from './write-buffer.js';

/*
 * Fenced writes (write-script.ts): with a standby recorder each instrument's write carries
 * the writer's lease token; a token below the largest seen is refused and writes nothing.
 */
const redis = usePrivateRedis();
const limits = { maxTicksPerInstrument: 1_000, candleLimits: { '1s': 50, '1m': 50, '1h': 50 } };
const T0 = 1_709_287_200_000_000;
const store = () => createRecorderStore({ redis: redis.client, limits });

const tick = (seq: number, price = '1.5'): Tick => ({
  symbol: 'ABC',
  seq,
  price,
  size: '0.001',
  side: 'buy',
  eventTime: formatMicros(T0 + seq * 1000),
  ingestTime: formatMicros(T0 + seq * 1000 + 7),
});
const candle = (close: string, trades: number): Candle => ({
  symbol: 'ABC',
  interval: '1s',
  start: T0,
  open: '1',
  high: '2',
  low: '0.5',
  close,
  volume: '3.25',
  trades,
});

function writeSet(ticks: Tick[], c: Candle, final?: number): WriteSet {
  return {
    ticks: new Map([['ABC', ticks.map((t) => ({ score: parseTimestamp(t.eventTime)!, member: encodeTickMember(t) }))]]),
    last: new Map([['ABC', ticks[ticks.length - 1]!]]),
    candles: new Map([['1s|ABC', c]]),
    tickCount: ticks.length,
    ...(final !== undefined ? { final: new Map([['1s:ABC', final]]) } : {}),
  };
}

/** Everything stored of ABC, to compare before and after. */
async function snapshot() {
  return {
    ticks: await redis.client.zrange(ticksKey('ABC'), 0, -1, 'WITHSCORES'),
    candles: await redis.client.zrange(candlesKey('1s', 'ABC'), 0, -1, 'WITHSCORES'),
    final: await redis.client.hgetall(finalKey('ABC')),
    recorded: await redis.client.hgetall(recordedKey('ABC')),
    last: await redis.client.hget(LAST_KEY, 'ABC'),
  };
}

describe('fenced write', () => {
  it("a write with a token below the largest seen is refused and changes nothing; the holder's own rewrite changes nothing either", async () => {
    const s = store();
    const ticks = [1, 2, 3].map((q) => tick(q));
    expect((await s.write(writeSet(ticks, candle('1.5', 3), T0 - 1_000_000), new Map([['ABC', 5]]))).refused.size).toBe(
      0,
    );
    const written = await snapshot();
    expect(written.ticks).toHaveLength(6);
    expect(written.recorded).toEqual({ fence: '5', seq: '3' });
    expect(written.final).toEqual({ '1s': String(T0 - 1_000_000) });

    // A stale holder (token 4) with more ticks and a different candle: refused whole.
    const stale = await s.write(
      writeSet(
        [4, 5].map((q) => tick(q, '9')),
        candle('9', 5),
        T0,
      ),
      new Map([['ABC', 4]]),
    );
    expect(stale.refused).toEqual(new Map([['ABC', 5]]));
    expect(await snapshot()).toEqual(written);

    // The holder writing the same changes again (a retry, a takeover re-reading them): nothing moves.
    expect((await s.write(writeSet(ticks, candle('1.5', 3), T0 - 1_000_000), new Map([['ABC', 5]]))).refused.size).toBe(
      0,
    );
    expect(await snapshot()).toEqual(written);
  });

  it("a new holder's warm-up raises the fence before it reads: the old holder's next write is refused", async () => {
    const s = store();
    await s.write(writeSet([tick(1)], candle('1.5', 1)), new Map([['ABC', 5]]));
    const seeds = await s.seeds(['ABC'], 10, new Map([['ABC', 6]]));
    expect(seeds.get('ABC')!.lastSeq).toBe(1);
    expect(seeds.get('ABC')!.refused).toBeUndefined();
    expect((await s.write(writeSet([tick(2)], candle('1.6', 2)), new Map([['ABC', 5]]))).refused).toEqual(
      new Map([['ABC', 6]]),
    );
    expect(await redis.client.zcard(ticksKey('ABC'))).toBe(1);
    // And the old holder warming up again finds the newer token: refused, nothing read.
    expect((await s.seeds(['ABC'], 10, new Map([['ABC', 5]]))).get('ABC')!.refused).toBe(6);
  });

  it('the last price and the final mark never move back, whoever writes; without leases no fence is checked', async () => {
    const s = store();
    await s.write(writeSet([tick(10)], candle('1.5', 1), T0), new Map([['ABC', 2]]));
    await s.write(writeSet([tick(7)], candle('1.5', 1), T0 - 1_000_000), new Map([['ABC', 2]]));
    expect(decodeLast('ABC', (await redis.client.hget(LAST_KEY, 'ABC'))!).seq).toBe(10);
    expect(await redis.client.hget(finalKey('ABC'), '1s')).toBe(String(T0));
    expect(await redis.client.hget(recordedKey('ABC'), 'seq')).toBe('10');
    // Leases off (one recorder): written whatever the fence says.
    expect((await s.write(writeSet([tick(11)], candle('1.5', 2)))).refused.size).toBe(0);
    expect(await redis.client.zcard(ticksKey('ABC'))).toBe(3);
  });

  it('a symbol without a token (its lease went) is not written at all', async () => {
    const out = await store().write(writeSet([tick(1)], candle('1.5', 1)), new Map());
    expect(out.refused.size).toBe(0);
    expect(await redis.client.exists(ticksKey('ABC'), LAST_KEY, candlesKey('1s', 'ABC'))).toBe(0);
  });
});

describe('recorder with a fence', () => {
  const log = pino({ level: 'silent' });
  const batches = (ticks: Tick[]): TickBatch[] =>
    Array.from({ length: Math.ceil(ticks.length / 20) }, (_, i) => ({
      symbol: 'ABC',
      ticks: ticks.slice(i * 20, i * 20 + 20),
      conflated: 0,
    }));
  const fetchMetric = async (rec: ReturnType<typeof createRecorder>, name: string) =>
    (await rec.registry.getSingleMetric(name)!.get()).values.reduce((n, v) => n + v.value, 0);

  it("a stale holder stops recording the instrument at its first refused write, counts it, and is told once; the new holder's candles stay exact", async () => {
    const ticks = randomTicks(rng(7), 'ABC', 400, T0, { stepMicros: 20_000 });
    const tokens = { old: 1, fresh: 2 };
    const refusals: Array<[string, number]> = [];
    const old = createRecorder({
      redis: redis.client,
      log,
      config: { flushIntervalMs: 10_000 },
      fence: { token: () => tokens.old, onRefused: (s, f) => refusals.push([s, f]), held: () => 1 },
    });
    const fresh = createRecorder({
      redis: redis.client,
      log,
      config: { flushIntervalMs: 10_000 },
      fence: { token: () => tokens.fresh, onRefused: () => undefined, held: () => 1 },
    });
    for (const b of batches(ticks.slice(0, 200))) old.ingest(b);
    await old.flush();
    // The old holder pauses past its lease; the new one takes over and reads the node back (overlapping ticks).
    for (const b of batches(ticks.slice(100, 300))) fresh.ingest(b);
    await fresh.flush();
    // The old holder wakes up with more ticks and writes: refused, nothing of it stored.
    for (const b of batches(ticks.slice(200, 260).map((t) => ({ ...t, price: '1' })))) old.ingest(b);
    await old.flush();
    expect(refusals).toEqual([['ABC', 2]]);
    expect(await fetchMetric(old, 'tickdesk_recorder_fenced_writes_total')).toBe(1);
    expect(old.stats().symbols).toBe(0);
    for (const b of batches(ticks.slice(300))) fresh.ingest(b);
    await fresh.flush();

    const stored = (await redis.client.zrange(ticksKey('ABC'), 0, -1)).map((m) => Number(m.split('|')[0]));
    expect(stored).toEqual(ticks.map((t) => t.seq));
    const bars = await fresh.store.candles('ABC', '1s', 0, T0 * 2, 10_000);
    expect(
      bars.map(({ start, open, high, low, close, volume, trades }) => ({
        start: parseTimestamp(start),
        open,
        high,
        low,
        close,
        volume,
        trades,
      })),
    ).toEqual(naiveCandles(ticks, '1s'));
    await Promise.all([old.stop(), fresh.stop()]);
  });
});

describe('final marks with a fence', () => {
  it('a mark that rose at warm-up is written even when the flush carries no tick or candle of its symbol', async () => {
    // ABC stored 12 one-second candles (more than the 10 open buckets) and seq 100, no final mark.
    const candles = Array.from({ length: 12 }, (_, k): Candle => ({ ...candle('1.5', 1), start: T0 + k * 1_000_000 }));
    await store().write(
      {
        ticks: new Map(),
        last: new Map([['ABC', tick(100)]]),
        candles: new Map(candles.map((c) => [`1s|${c.start}`, c])),
        tickCount: 0,
      },
      new Map([['ABC', 1]]),
    );
    const rec = createRecorder({
      redis: redis.client,
      log: pino({ level: 'silent' }),
      config: { flushIntervalMs: 10_000 },
      fence: { token: () => 1, onRefused: () => undefined, held: () => 2 },
    });
    rec.ingest({ symbol: 'ABC', ticks: [tick(50)], conflated: 0 }); // a duplicate: nothing of ABC to write but its marks
    rec.ingest({ symbol: 'XYZ', ticks: [{ ...tick(1), symbol: 'XYZ' }], conflated: 0 });
    await rec.flush();
    // The warm-up closed the oldest stored buckets: their mark reaches Redis with this flush.
    expect(Number(await redis.client.hget(finalKey('ABC'), '1s'))).toBeGreaterThanOrEqual(T0);
    await rec.stop();
  });
});

describe('history stored before the keys were tagged per instrument', () => {
  it('is moved to the tagged keys at warm-up, key by key: ticks, candles and final marks readable as before, the old keys gone', async () => {
    const legacy = legacyMarketKeys();
    const t = [tick(1), tick(2)];
    await redis.client.zadd(
      legacy.ticks('ABC'),
      ...t.flatMap((x) => [parseTimestamp(x.eventTime)!, encodeTickMember(x)]),
    );
    await redis.client.zadd(legacy.candles('1s', 'ABC'), T0, JSON.stringify([T0, '1', '2', '0.5', '1.5', '3.25', 2]));
    await redis.client.hset(legacy.final, { '1s:ABC': String(T0 - 1_000_000), '1s:XYZ': '5' });
    await redis.client.hset(
      LAST_KEY,
      'ABC',
      JSON.stringify({ price: '1.5', size: '0.001', seq: 2, eventTime: t[1]!.eventTime, ingestTime: t[1]!.ingestTime }),
    );
    const s = store();
    const seeds = await s.seeds(['ABC'], 10);
    expect(seeds.get('ABC')!.lastSeq).toBe(2);
    expect(seeds.get('ABC')!.candles['1s']).toMatchObject({
      candles: [{ start: T0, trades: 2 }],
      finalThrough: T0 - 1_000_000,
    });
    expect((await s.ticks('ABC', 0, T0 * 2, 10)).ticks.map((x) => x.seq)).toEqual([1, 2]);
    expect(await redis.client.exists(legacy.ticks('ABC'), legacy.candles('1s', 'ABC'))).toBe(0);
    expect(await redis.client.hgetall(legacy.final)).toEqual({ '1s:XYZ': '5' });
  });
});
