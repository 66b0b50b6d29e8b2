import type { Redis } from 'ioredis';
import { DEFAULT_PREFIX } from './keys.js';
import { createLeaseScripts } from './lease-scripts.js';

export type LeaseLostReason = 'expired' | 'taken' | 'released';

export interface LeaseOptions {
  redis: Redis;
  /** `<role>:<what>`, e.g. `feed:BTCUSDT` (keys.ts leaseKeys). */
  name: string;
  /** This process's identity, unique per process (e.g. `feed-<host>-<pid>-<random>`). */
  owner: string;
  ttlMs: number;
  /**
   * How long before the lease's expiry, counted from the send time of the request that set
   * it, the holder stops acting: room for its own event-loop delay and for clocks that run
   * at slightly different rates. Default a fifth of the TTL.
   */
  safetyMs?: number;
  prefix?: string;
  /** A monotonic clock in ms (default performance.now: a wall-clock step moves nothing). */
  now?: () => number;
  /** Called once per grant when the holder must stop acting, before another can be granted it. */
  onLost?: (reason: LeaseLostReason) => void;
  /** A renewal failed (Redis unreachable); the lease is kept until its deadline. */
  onRenewError?: (err: Error) => void;
}

/**
 * A holder of one lease (the Redlock paper's single-instance lease with a fencing token, as
 * in Kleppmann, "How to do distributed locking"). Renewed every third of the TTL. The
 * holder's own deadline is the send time of the last request that set the expiry plus the
 * TTL minus `safetyMs`: Redis started its TTL later than we sent, so our deadline comes
 * first however long the reply took. At the deadline, or when a renewal finds the lease in
 * another's hands, `onLost` runs and `valid()` is false from then on.
 */
export function createLease({
  redis,
  name,
  owner,
  ttlMs,
  safetyMs = Math.floor(ttlMs / 5),
  prefix = DEFAULT_PREFIX,
  now = () => performance.now(),
  onLost,
  onRenewError,
}: LeaseOptions) {
  if (!(ttlMs > 0) || !(safetyMs >= 0) || safetyMs >= ttlMs)
    throw new RangeError(`lease ${name}: safetyMs (${safetyMs}) must lie in [0, ttlMs (${ttlMs}))`);
  const scripts = createLeaseScripts({ redis, name, prefix });
  const renewEveryMs = Math.max(1, Math.floor(ttlMs / 3));
  let token: number | undefined;
  let validUntil = Number.NEGATIVE_INFINITY;
  let renewTimer: NodeJS.Timeout | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;

  function lose(reason: LeaseLostReason) {
    if (token === undefined) return;
    token = undefined;
    validUntil = Number.NEGATIVE_INFINITY;
    clearTimeout(renewTimer);
    clearTimeout(deadlineTimer);
    onLost?.(reason);
  }

  function armDeadline() {
    clearTimeout(deadlineTimer);
    deadlineTimer = setTimeout(
      () => {
        if (now() >= validUntil) lose('expired');
        else armDeadline();
      },
      Math.max(0, validUntil - now()),
    );
  }

  function scheduleRenew() {
    clearTimeout(renewTimer);
    renewTimer = setTimeout(() => void renew(), renewEveryMs);
  }

  async function renew() {
    const mine = token;
    if (mine === undefined) return;
    const sent = now();
    try {
      const ok = await scripts.renew(owner, mine, ttlMs);
      if (token !== mine) return;
      if (!ok) return lose('taken');
      validUntil = Math.max(validUntil, sent + ttlMs - safetyMs);
      armDeadline();
    } catch (err) {
      onRenewError?.(err as Error);
    }
    if (token === mine) scheduleRenew();
  }

  return {
    name,
    owner,
    /** One attempt; the fencing token when granted (and still usable on arrival), else undefined. */
    async tryAcquire(): Promise<number | undefined> {
      if (token !== undefined && this.valid()) return token;
      const sent = now();
      const grant = await scripts.acquire(owner, ttlMs);
      if (!grant.granted) return undefined;
      const until = sent + ttlMs - safetyMs;
      if (now() >= until) {
        // The reply came too late to act on: hand the lease back rather than hold it unused.
        await scripts.release(owner, grant.token).catch(() => false);
        return undefined;
      }
      token = grant.token;
      validUntil = until;
      armDeadline();
      scheduleRenew();
      return token;
    },
    /** Whether the holder may act now: held, and before its deadline. Check before each act. */
    valid(): boolean {
      return token !== undefined && now() < validUntil;
    },
    /** The fencing token while held. */
    token(): number | undefined {
      return token;
    },
    /** The local deadline (monotonic ms), for tests and /health. */
    validUntil(): number {
      return validUntil;
    },
    /** Let go now, so a standby need not wait for the expiry. */
    async release(): Promise<void> {
      const mine = token;
      if (mine === undefined) return;
      lose('released');
      await scripts.release(owner, mine).catch(() => false);
    },
    holder: () => scripts.holder(),
  };
}
export type Lease = ReturnType<typeof createLease>;
