import { describe, expect, it } from 'vitest';
import { formatMicros, type Tick } from '@tickdesk/schemas';
import { CROSS_SLOT_OPERATIONS, keySlot, marketKeys } from '@tickdesk/store';
import { multiKeyOperations } from '../../../test/support/slot-monitor.js';
import { encodeTickMember } from './redis-layout.js';
import { createRecorderStore } from './recorder-store.js';
import { usePrivateRedis } from './redis.test-util.js';

const redis = usePrivateRedis({ flush: false });
const T0 = 1_709_287_200_000_000;
const tick = (symbol: string, seq: number): Tick => ({
  symbol,
  seq,
  price: '1.5',
  size: '0.001',
  side: 'buy',
  eventTime: formatMicros(T0 + seq),
  ingestTime: formatMicros(T0 + seq + 7),
});

describe('Redis Cluster slots of the recorder (docs/architecture.md, "Redis key layout")', () => {
  for (const leased of [false, true]) {
    it(`no command of its writes and warm-ups spans slots: one script per instrument over that instrument's keys${leased ? ' (leases on: fenced)' : ''}`, async () => {
      const store = createRecorderStore({
        redis: redis.client,
        limits: { maxTicksPerInstrument: 50, candleLimits: { '1s': 5, '1m': 5, '1h': 5 } },
      });
      const ticks = ['ABC', 'XYZ'].map((s) => tick(s, 1));
      const tokens = leased
        ? new Map([
            ['ABC', 3],
            ['XYZ', 4],
          ])
        : undefined;
      const ops = await multiKeyOperations(redis.client, async () => {
        await store.seeds(['ABC', 'XYZ'], 2, tokens);
        await store.write(
          {
            ticks: new Map(ticks.map((t) => [t.symbol, [{ score: T0 + 1, member: encodeTickMember(t) }]])),
            last: new Map(ticks.map((t) => [t.symbol, t])),
            candles: new Map(
              ['ABC', 'XYZ'].map((symbol) => [
                `1s|${symbol}`,
                {
                  symbol,
                  interval: '1s' as const,
                  start: T0,
                  open: '1',
                  high: '2',
                  low: '0.5',
                  close: '1.5',
                  volume: '1',
                  trades: 1,
                },
              ]),
            ),
            tickCount: 2,
            final: new Map([
              ['1s:ABC', T0 - 1_000_000],
              ['1m:XYZ', T0 - 60_000_000],
            ]),
          },
          tokens,
        );
      });
      const market = marketKeys();
      const writes = ops.filter((o) => o.keys.includes(market.ticks('ABC')) || o.keys.includes(market.ticks('XYZ')));
      expect(writes).toHaveLength(2);
      expect(ops.filter((o) => o.keys.includes(market.last))).toHaveLength(1);
      expect(ops.filter((o) => o.slots.length > 1)).toEqual([]);
      expect(CROSS_SLOT_OPERATIONS).toEqual({});
      expect(keySlot(market.ticks('ABC'))).not.toBe(keySlot(market.ticks('XYZ')));
    });
  }
});
