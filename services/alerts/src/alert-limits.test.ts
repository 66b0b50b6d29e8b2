import { describe, expect, it } from 'vitest';
import { createAlertLimits } from './alert-limits.js';
import { alertKeys, createAlertStore, type StoredAlert } from './store/index.js';
import { usePrivateRedis } from './store/redis.test-util.js';

const redis = usePrivateRedis();
const T0 = Date.parse('2026-12-06T07:00:00Z');
let n = 0;
const alert = (ruleId: string, owner: string): StoredAlert => {
  n += 1;
  const at = new Date(T0).toISOString();
  return {
    id: `a${n}`,
    ruleId,
    owner,
    recipient: owner,
    symbol: 'BTCUSDT',
    condition: 'crossing-up',
    threshold: '65000',
    price: '65000.5',
    tickSeq: n,
    eventTime: '2026-12-06T06:59:59.999Z',
    firedAt: at,
    priority: 'normal',
    body: 'BTCUSDT crossed up through 65000',
    state: 'pending',
    attempts: 0,
    nextActionAt: T0,
    lifecycle: [{ event: 'fired', at }],
  };
};

/** What the create script answers for a firing of `ruleId` by `owner` at the limits' time. */
function taker(limits: ReturnType<typeof createAlertLimits>, redisClient = redis.client) {
  const store = createAlertStore({ redis: redisClient });
  return async (ruleId: string, owner: string) => {
    const r = await store.create(alert(ruleId, owner), { caps: limits.caps() });
    return r === true ? 'ok' : r === 'capped-rule' ? 'rule' : r === 'capped-owner' ? 'owner' : String(r);
  };
}

describe('alert rate caps, counted in Redis by the outbox create script', () => {
  it('lets at most perRule alerts of one rule through in any window; the rest are refused naming the cap', async () => {
    let t = T0;
    const limits = createAlertLimits({ perRule: 3, perOwner: 100, windowMs: 10_000, now: () => t });
    const take = taker(limits);
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push(await take('r1', 'alice'));
    expect(seen).toEqual(['ok', 'ok', 'ok', 'rule', 'rule']);
    expect(limits.refused('rule')).toEqual({ ok: false, cap: 'rule', limit: 3, windowMs: 10_000 });
    expect(await take('r2', 'alice')).toBe('ok'); // another rule has its own budget
    t = T0 + 9_999;
    expect(await take('r1', 'alice')).toBe('rule');
    t = T0 + 10_000; // the first three have left the window
    const again = [];
    for (let i = 0; i < 4; i++) again.push(await take('r1', 'alice'));
    expect(again).toEqual(['ok', 'ok', 'ok', 'rule']);
  });

  it('caps an owner over all of their rules; refused firings do not use the budget', async () => {
    let t = T0;
    const limits = createAlertLimits({ perRule: 2, perOwner: 3, windowMs: 1_000, now: () => t });
    const take = taker(limits);
    const seen = [];
    for (const r of ['r1', 'r1', 'r1', 'r2', 'r3', 'r4']) seen.push(await take(r, 'alice'));
    expect(seen).toEqual(['ok', 'ok', 'rule', 'ok', 'owner', 'owner']);
    expect(await take('r9', 'bob')).toBe('ok');
    t = T0 + 500;
    expect(await take('r5', 'alice')).toBe('owner');
    t = T0 + 1_000;
    expect(await take('r5', 'alice')).toBe('ok');
  });

  it('shares the counts between engines: each engine process has its own limits and connection, one budget per rule and per owner', async () => {
    const t = T0;
    const engineA = taker(
      createAlertLimits({ perRule: 2, perOwner: 3, windowMs: 60_000, now: () => t }),
      redis.connect(),
    );
    const engineB = taker(
      createAlertLimits({ perRule: 2, perOwner: 3, windowMs: 60_000, now: () => t }),
      redis.connect(),
    );
    // A rule's instrument taken over by B after A sent two: the rule's cap holds across the takeover.
    expect([await engineA('r1', 'alice'), await engineA('r1', 'alice'), await engineB('r1', 'alice')]).toEqual([
      'ok',
      'ok',
      'rule',
    ]);
    // alice's third alert comes from B, her fourth from either is over her cap.
    expect([await engineB('r2', 'alice'), await engineA('r3', 'alice'), await engineB('r4', 'alice')]).toEqual([
      'ok',
      'owner',
      'owner',
    ]);
  });

  it('keeps no key longer than the window, and no more members than the cap', async () => {
    const limits = createAlertLimits({ perRule: 5, perOwner: 5, windowMs: 1_000, now: () => T0 });
    const take = taker(limits);
    for (let i = 0; i < 8; i++) await take('r1', 'u1');
    const keys = alertKeys();
    expect(await redis.client.zcard(keys.rateRule('r1'))).toBe(5);
    expect(await redis.client.zcard(keys.rateOwner('u1'))).toBe(5);
    const ttl = await redis.client.pttl(keys.rateOwner('u1'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_000);
  });
});
