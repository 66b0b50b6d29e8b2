import { describe, expect, it } from 'vitest';
import type { StoredAlert } from './alert-record.js';
import { createAlertStore } from './alert-store.js';
import { alertKeys } from './redis-layout.js';
import { usePrivateRedis } from './redis.test-util.js';

const redis = usePrivateRedis();
function alert(id: string, symbol = 'BTCUSDT'): StoredAlert {
  const firedAt = '2026-11-21T10:00:00.000Z';
  return {
    id,
    ruleId: 'r1',
    owner: 'alice',
    recipient: 'alice',
    symbol,
    condition: 'crossing-up',
    threshold: '65000',
    price: '65000.5',
    tickSeq: 7,
    eventTime: '2026-11-21T09:59:59.999123Z',
    firedAt,
    priority: 'normal',
    body: 'x',
    state: 'pending',
    attempts: 0,
    nextActionAt: Date.parse(firedAt),
    lifecycle: [{ event: 'fired', at: firedAt }],
  };
}

describe('fencing tokens on outbox writes (several engines)', () => {
  it('a firing written with a token below the largest seen for its instrument is refused and stores nothing', async () => {
    const store = createAlertStore({ redis: redis.client });
    expect(await store.create(alert('a1'), 5)).toBe(true);
    expect(await redis.client.hget(alertKeys().fence, 'BTCUSDT')).toBe('5');
    expect(await store.create(alert('a2'), 4)).toBe('fenced');
    expect(await store.get('a2')).toBeUndefined();
    expect(await redis.client.zscore(alertKeys().outbox, 'a2')).toBeNull();
    // Another instrument has its own fence; an equal token is the same holder.
    expect(await store.create(alert('a3', 'EURUSD'), 1)).toBe(true);
    expect(await store.create(alert('a4'), 5)).toBe(true);
  });

  it('a new holder raises the fence when it takes the instrument, before writing anything: the old holder is refused at once', async () => {
    const store = createAlertStore({ redis: redis.client });
    expect(await store.create(alert('a1'), 3)).toBe(true);
    expect(await store.raiseFence('BTCUSDT', 4)).toBe(true);
    expect(await store.raiseFence('BTCUSDT', 2)).toBe(false);
    expect(await store.create(alert('a2'), 3)).toBe('fenced');
    const moved = await store.transition(
      'a1',
      { state: 'sent' },
      { event: 'sent', at: '2026-11-21T10:00:01.000Z' },
      { fence: { symbol: 'BTCUSDT', token: 3 } },
    );
    expect(moved).toBe('fenced');
    expect((await store.get('a1'))!.state).toBe('pending');
    const ok = await store.transition(
      'a1',
      { state: 'sent' },
      { event: 'sent', at: '2026-11-21T10:00:01.000Z' },
      { fence: { symbol: 'BTCUSDT', token: 4 } },
    );
    expect(ok !== 'fenced' && ok !== 'state-conflict' && ok?.state).toBe('sent');
  });
});
