import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { formatMicros, type Tick } from '@tickdesk/schemas';
import { CROSS_SLOT_OPERATIONS, keySlot, marketKeys } from '@tickdesk/store';
import { multiKeyOperations } from '../../../test/support/slot-monitor.js';
import { encodeTickMember } from './redis-layout.js';
import { createRecorderStore } from './recorder-store.js';
import { privateRedis } from './redis.test-util.js';

let redis: Awaited<ReturnType<typeof privateRedis>>;
let client: Redis;
beforeAll(async () => {
  redis = await privateRedis();
  client = redis.client();
});
afterAll(() => redis.close());

const T0 = 1_709_287_200_000_000;
const tick = (symbol: string, seq: number): Tick => ({
  symbol, seq, price: '1.5', size: '0.001', side: 'buy', eventTime: formatMicros(T0 + seq), ingestTime: formatMicros(T0 + seq + 7),
});

describe('Redis Cluster slots of the recorder (docs/architecture.md, "Redis key layout")', () => {
  it("its one MULTI spans the market-data keys of several slots: the listed exception 'recorder write', and nothing else", async () => {
    const store = createRecorderStore({ redis: client, limits: { maxTicksPerInstrument: 50, candleLimits: { '1s': 5, '1m': 5, '1h': 5 } } });
    const ticks = ['ABC', 'XYZ'].map((s) => tick(s, 1));
    const ops = await multiKeyOperations(client, async () => {
      await store.write({
        ticks: new Map(ticks.map((t) => [t.symbol, [{ score: T0 + 1, member: encodeTickMember(t) }]])),
        last: new Map(ticks.map((t) => [t.symbol, t])),
        candles: new Map([['1s|0', { symbol: 'ABC', interval: '1s', start: T0, open: '1', high: '2', low: '0.5', close: '1.5', volume: '1', trades: 1 }]]),
        tickCount: 2,
      });
      await store.seeds(['ABC', 'XYZ'], 2);
    });
    const market = marketKeys();
    const marketKey = (k: string) => k === market.last || k === market.final || k.startsWith(market.ticks('')) || k.startsWith(market.candles('1s', '').slice(0, -3));
    const spread = ops.filter((o) => o.slots.length > 1);
    expect(spread).toHaveLength(1);
    expect(spread[0]!.kind).toBe('multi');
    expect(spread[0]!.keys.every(marketKey)).toBe(true);
    expect(CROSS_SLOT_OPERATIONS['recorder write']).toMatch(/MULTI/);
    expect(new Set([market.last, market.ticks('ABC')].map(keySlot)).size).toBe(2);
  });
});
