import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { until } from '../../../test/support/private-redis.js';
import { usePrivateRedis } from '../../../test/support/use-private-redis.js';
import { createLease, type LeaseLostReason, type LeaseOptions } from './lease.js';
import { createLeaseScripts } from './lease-scripts.js';

/** Block this thread, as a long GC pause or a stopped process would. */
const stall = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const redis = usePrivateRedis({ flush: false });
const leases: Array<ReturnType<typeof createLease>> = [];

function lease(owner: string, opts: Partial<LeaseOptions> = {}) {
  const lost: LeaseLostReason[] = [];
  const lostAt: number[] = [];
  const l = createLease({
    redis: redis.connect(),
    name: 'feed:BTCUSDT',
    owner,
    ttlMs: 300,
    safetyMs: 60,
    onLost: (r) => {
      lost.push(r);
      lostAt.push(performance.now());
    },
    ...opts,
  });
  leases.push(l);
  return Object.assign(l, { lost, lostAt });
}

beforeEach(async () => {
  for (const l of leases.splice(0)) await l.release();
  await redis.client.flushall();
});
afterAll(async () => {
  for (const l of leases.splice(0)) await l.release();
});

describe('lease: acquire, renew, release (one Lua script each)', () => {
  it('one of two contenders holds it; the other gets it once released, with a larger token', async () => {
    const a = lease('a');
    const b = lease('b');
    const ta = await a.tryAcquire();
    expect(ta).toBe(1);
    expect(await b.tryAcquire()).toBeUndefined();
    expect(await a.holder()).toMatchObject({ token: 1, owner: 'a' });
    await a.release();
    expect(a.lost).toEqual(['released']);
    expect(a.valid()).toBe(false);
    expect(await b.tryAcquire()).toBe(2);
    expect(b.valid()).toBe(true);
  });

  it('renewal keeps it held well past its TTL; a contender never gets it meanwhile', async () => {
    const a = lease('a');
    const b = lease('b');
    await a.tryAcquire();
    for (let i = 0; i < 12; i++) {
      await sleep(100);
      expect(await b.tryAcquire()).toBeUndefined();
      expect(a.valid()).toBe(true);
    }
    expect(a.lost).toEqual([]);
  });

  it('every grant takes a new token, the same owner again included: tokens only increase', async () => {
    const a = lease('a');
    const b = lease('b');
    const tokens: number[] = [];
    for (let i = 0; i < 3; i++) {
      for (const l of [a, a, b]) {
        tokens.push((await l.tryAcquire())!);
        await l.release();
      }
    }
    expect(tokens).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a dead holder (no renewal) loses it at its TTL; the next one is granted a larger token', async () => {
    const dead = createLeaseScripts({ redis: redis.client, name: 'feed:BTCUSDT' });
    const grant = await dead.acquire('dead', 300);
    const b = lease('b');
    const t0 = performance.now();
    expect(await b.tryAcquire()).toBeUndefined();
    await until(async () => (await b.tryAcquire()) !== undefined, 2_000);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    expect(b.token()).toBeGreaterThan(grant.token);
  });
});

describe('lease: the holder stops acting before another can be granted it', () => {
  it("the deadline counts from the request's send time: a slow reply does not lengthen it", async () => {
    const a = lease('a', { ttlMs: 1_000, safetyMs: 100 });
    await redis.client.call('CLIENT', 'PAUSE', '300', 'ALL');
    const sent = performance.now();
    expect(await a.tryAcquire()).toBe(1);
    expect(performance.now() - sent).toBeGreaterThanOrEqual(280);
    // Counted from the reply it would be about sent + 300 + 900.
    expect(a.validUntil()).toBeLessThanOrEqual(sent + 900 + 1);
  });

  it('a grant whose reply comes after its own deadline is handed back, not used', async () => {
    const a = lease('a');
    await redis.client.call('CLIENT', 'PAUSE', '400', 'ALL');
    expect(await a.tryAcquire()).toBeUndefined();
    expect(a.valid()).toBe(false);
    expect(await a.holder()).toBeUndefined();
    expect(await lease('b').tryAcquire()).toBe(2);
  });

  it('renewals that get no reply (Redis stalled): onLost at the deadline, before the lease expires in Redis', async () => {
    const a = lease('a', { ttlMs: 600, safetyMs: 100 });
    const b = lease('b', { ttlMs: 600, safetyMs: 100 });
    await a.tryAcquire();
    await sleep(250); // one renewal done
    await redis.client.call('CLIENT', 'PAUSE', '1500', 'ALL');
    const paused = performance.now();
    await until(() => a.lost.length > 0, 3_000);
    expect(a.lost).toEqual(['expired']);
    expect(a.valid()).toBe(false);
    // Lost at most the TTL minus the margin after the last renewal was sent, itself before the pause.
    expect(a.lostAt[0]! - paused).toBeLessThan(500);
    await until(async () => (await b.tryAcquire()) !== undefined, 3_000);
    const grantedAt = performance.now();
    expect(grantedAt).toBeGreaterThan(a.lostAt[0]!);
    expect(b.token()).toBeGreaterThan(1);
    await sleep(300);
    expect(a.lost).toEqual(['expired']);
  });

  it('Redis down: the holder stops acting within the TTL and says why', async () => {
    const errors: Error[] = [];
    const a = lease('a', { ttlMs: 600, safetyMs: 100, onRenewError: (e) => errors.push(e) });
    await a.tryAcquire();
    const down = performance.now();
    await redis.down();
    try {
      await until(() => a.lost.length > 0, 2_000);
      expect(a.lostAt[0]! - down).toBeLessThan(600);
      expect(a.lost).toEqual(['expired']);
    } finally {
      await redis.up();
    }
  });

  it('a paused holder (its thread stalled past the TTL) is invalid at once on waking, and is fenced out', async () => {
    const a = lease('a');
    const b = lease('b');
    const ta = (await a.tryAcquire())!;
    stall(500);
    // Before any timer or reply runs: the holder must not act on its old grant.
    expect(a.valid()).toBe(false);
    const tb = await b.tryAcquire();
    expect(tb).toBeGreaterThan(ta);
    await until(() => a.lost.length > 0, 1_000);
    expect(a.lost).toHaveLength(1);
    // The stale holder's scripts change nothing: its token no longer matches.
    const scripts = createLeaseScripts({ redis: redis.client, name: 'feed:BTCUSDT' });
    expect(await scripts.renew('a', ta, 300)).toBe(false);
    expect(await scripts.release('a', ta)).toBe(false);
    expect(await scripts.holder()).toMatchObject({ owner: 'b', token: tb });
  });

  it('a wall-clock step (NTP, an operator) changes nothing: deadlines are on the monotonic clock', async () => {
    const a = lease('a');
    await a.tryAcquire();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 3_600_000);
      expect(a.valid()).toBe(true);
      vi.setSystemTime(Date.now() - 7_200_000);
      expect(a.valid()).toBe(true);
      await sleep(500);
      expect(a.valid()).toBe(true);
      expect(a.lost).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a margin that leaves no time to act', () => {
    expect(() => createLease({ redis: redis.client, name: 'x:y', owner: 'a', ttlMs: 100, safetyMs: 100 })).toThrow(
      RangeError,
    );
  });
});
