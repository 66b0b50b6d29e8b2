import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createWriteBudget, WRITE_RATE_KEY } from './write-budget.js';
import { usePrivateRedis } from './store/redis.test-util.js';

const redis = usePrivateRedis();

describe('write budget shared with the REST API', () => {
  it('allows max writes per user per window, then says when to retry', async () => {
    const budget = createWriteBudget({ redis: redis.client, max: 3, windowMs: 60_000 });
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push(await budget.take('alice'));
    expect(verdicts.slice(0, 3)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(verdicts[3]).toMatchObject({ ok: false });
    const last = verdicts[3] as { ok: false; retryAfterMs: number };
    expect(last.retryAfterMs).toBeGreaterThan(59_000);
    expect(last.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await budget.take('bob')).toEqual({ ok: true });
  });

  it("counts in the REST rate limiter's key, so REST and chat writes share one budget", async () => {
    expect(WRITE_RATE_KEY('alice')).toBe('td:api:rate:user:alice');
    // What @fastify/rate-limit left after two REST writes in this window.
    await redis.client.set('td:api:rate:user:alice', '2', 'PX', 60_000);
    const budget = createWriteBudget({ redis: redis.client, max: 3, windowMs: 60_000 });
    expect(await budget.take('alice')).toEqual({ ok: true });
    expect(await budget.take('alice')).toMatchObject({ ok: false });
    expect(Number(await redis.client.get('td:api:rate:user:alice'))).toBe(4);
    expect(await redis.client.pttl('td:api:rate:user:alice')).toBeGreaterThan(0);
  });

  it('lets writes through when Redis cannot count them (as the REST limiter does)', async () => {
    const broken = {
      eval: async () => {
        throw new Error('connection closed');
      },
    } as unknown as Redis;
    expect(await createWriteBudget({ redis: broken, max: 1, windowMs: 1_000 }).take('alice')).toEqual({ ok: true });
  });
});
