import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createLease, DEFAULT_PREFIX, type Lease, type LeaseLostReason } from '@tickdesk/store';

export interface OwnershipDeps {
  redis: Redis;
  symbols: readonly string[];
  /** TICKDESK_ALERT_ENGINES: the engines sharing the instruments (1: this one owns all, no lease). */
  engines: number;
  ttlMs: number;
  /** This process's lease owner id, unique per process. */
  owner: string;
  log: Logger;
  prefix?: string;
  /** This engine now holds `symbol`'s lease with fencing `token`: read back its missed ticks. */
  onGained: (symbol: string, token: number) => Promise<void> | void;
  /** This engine must stop acting for `symbol` (lease expired, taken, or let go). */
  onLost: (symbol: string, reason: LeaseLostReason) => void;
}

export interface OwnershipStatus {
  /** The engine's slot (1..engines) while it holds one. */
  slot?: number;
  instruments: string[];
  /** A lease renewal failed since the last success (Redis unreachable). */
  renewFailing: boolean;
}

export interface InstrumentOwnership {
  start(): Promise<void>;
  /** Lets every lease go, so the other engines need not wait for the expiry. */
  stop(): Promise<void>;
  /** Whether this engine may act for `symbol` now. */
  owns(symbol: string): boolean;
  /** The fencing token to stamp writes for `symbol` with; undefined with one engine, or when not held. */
  token(symbol: string): number | undefined;
  /** Let `symbol` go now (a write was fenced out: another engine holds it). */
  drop(symbol: string): Promise<void>;
  status(): OwnershipStatus;
  /** Whether this engine answers what is sent to the bare JID alerts@ (chat commands): the lowest live slot's engine. */
  leads(): boolean;
}

/**
 * Instruments shared out among several engines by leases (services/store lease.ts), one
 * per instrument (`alerts:<SYMBOL>`), plus one per engine slot (`alerts:engine-<i>`) by
 * which the engines see who is alive. Every third of the TTL each engine lists the live
 * slots and takes the instruments that fall to it (the i-th instrument, sorted, goes to
 * the live slot at i mod live count), lets go of those that fall to another, and so
 * takes over a dead engine's instruments once its leases expired: within the TTL plus a
 * third of it.
 */
export function createInstrumentOwnership(deps: OwnershipDeps): InstrumentOwnership {
  if (deps.engines <= 1) return soleOwnership(deps.symbols);
  const { redis, engines, ttlMs, owner, log: parentLog, prefix = DEFAULT_PREFIX, onGained, onLost } = deps;
  const log = parentLog.child({ component: 'ownership' });
  const sorted = [...new Set(deps.symbols)].sort();
  let renewFailing = false;
  const onRenewError = (err: Error) => {
    if (!renewFailing)
      log.error({ err }, 'lease not renewed: instruments stop at their lease deadline unless Redis answers');
    renewFailing = true;
  };
  const lease = (name: string, lost?: (r: LeaseLostReason) => void): Lease =>
    createLease({ redis, name, owner, ttlMs, prefix, onRenewError, ...(lost ? { onLost: lost } : {}) });
  const slots = Array.from({ length: engines }, (_, i) => lease(`alerts:engine-${i + 1}`));
  const owned = new Map<string, number>();
  const leases = new Map(
    sorted.map((s) => [
      s,
      lease(`alerts:${s}`, (reason) => {
        if (!owned.delete(s)) return;
        // Let go (a rebalance, a stop) is routine; expired or taken means this engine stalled or lost Redis.
        log[reason === 'released' ? 'info' : 'warn'](
          { symbol: s, reason },
          'instrument lease lost: evaluation and sending for it stop',
        );
        onLost(s, reason);
      }),
    ]),
  );
  let slot: number | undefined;
  /** The live slots the last pass saw. */
  let lastLive: number[] = [];
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<void> = Promise.resolve();
  let stopped = false;
  const periodMs = Math.max(1, Math.floor(ttlMs / 3));
  /** When the next pass is due (ms from the end of this one): sooner when a dead engine's lease expires sooner. */
  let nextInMs = periodMs;
  /** Take-overs under way (reading missed ticks back): a pass does not wait for them. */
  const taking = new Set<Promise<void>>();

  async function ensureSlot(): Promise<void> {
    if (slot !== undefined && slots[slot]!.valid()) return;
    slot = undefined;
    for (let i = 0; i < engines && slot === undefined; i++) if ((await slots[i]!.tryAcquire()) !== undefined) slot = i;
  }

  /** Wake up just after a lease that is running out expires (a live holder renews long before). */
  const soon = (ttl: number) => (nextInMs = Math.min(nextInMs, Math.max(1, ttl + 5)));

  async function balance(): Promise<void> {
    nextInMs = periodMs;
    await ensureSlot();
    renewFailing = false;
    const alive = await Promise.all(
      slots.map(async (l, i) => {
        if (i === slot) return true;
        const h = await l.holder();
        if (h) soon(h.ttlMs);
        return h !== undefined;
      }),
    );
    const live = alive.flatMap((ok, i) => (ok ? [i] : []));
    lastLive = live;
    for (const [i, s] of sorted.entries()) {
      if (stopped) return;
      const l = leases.get(s)!;
      const mine = slot !== undefined && live[i % live.length] === slot;
      if (mine && !owned.has(s)) {
        const token = await l.tryAcquire();
        if (token === undefined) {
          const h = await l.holder();
          if (h) soon(h.ttlMs);
          continue;
        }
        owned.set(s, token);
        log.info({ symbol: s, token, slot: slot! + 1 }, 'instrument taken');
        const t: Promise<void> = Promise.resolve(onGained(s, token))
          .catch((err: Error) => log.warn({ symbol: s, err }, 'missed ticks not read back'))
          .finally(() => taking.delete(t));
        taking.add(t);
      } else if (!mine && owned.has(s)) {
        await l.release(); // onLost runs before the lease is free for its new owner
      }
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      pass = balance()
        .catch((err: Error) => {
          renewFailing = true;
          log.warn({ err }, 'instrument leases not balanced');
        })
        .finally(schedule);
    }, nextInMs);
  }

  return {
    async start() {
      stopped = false;
      pass = balance().catch((err: Error) => log.warn({ err }, 'instrument leases not balanced'));
      await pass;
      await Promise.all([...taking]);
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await pass;
      await Promise.all([...taking]);
      await Promise.all([...leases.values(), ...slots].map((l) => l.release().catch(() => undefined)));
    },
    owns: (s) => owned.has(s) && leases.get(s)!.valid(),
    token: (s) => (owned.has(s) && leases.get(s)!.valid() ? owned.get(s) : undefined),
    async drop(s) {
      await leases.get(s)?.release();
    },
    status: () => ({
      ...(slot !== undefined ? { slot: slot + 1 } : {}),
      instruments: sorted.filter((s) => owned.has(s) && leases.get(s)!.valid()),
      renewFailing,
    }),
    leads: () => slot !== undefined && slots[slot]!.valid() && lastLive[0] === slot,
  };
}

/** One engine: every instrument is its own, nothing to fence. */
function soleOwnership(symbols: readonly string[]): InstrumentOwnership {
  const all = new Set(symbols);
  return {
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    owns: (s) => all.has(s),
    token: () => undefined,
    drop: () => Promise.resolve(),
    status: () => ({ instruments: [...all].sort(), renewFailing: false }),
    leads: () => true,
  };
}
