import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { decodeTickRows, ticksNode } from '@tickdesk/schemas';
import { createLease, type Lease } from '@tickdesk/store';
import type { Pubsub } from '@tickdesk/xmpp';
import { createLeaseHold, type HoldOutlet } from './lease-hold.js';
import type { BatchedTick } from './tick-batcher.js';

/** What the feed asks before it takes a tick in and before each publish. */
export interface PublishGate {
  /** The fencing token to stamp on `symbol`'s items while this feed may publish it; else undefined. */
  token(symbol: string): number | undefined;
  /** The seq to publish for a source tick: above every seq on the node before this feed took it over. */
  seq(symbol: string, sourceSeq: number): number;
  /**
   * Keeps ticks of `symbol` this feed cannot publish now because its lease is only uncertain
   * (renewals failing, no other holder known); false when they must be dropped. `early`:
   * taken back from the batcher, older than every tick held from the sink.
   */
  hold?(symbol: string, ticks: readonly BatchedTick[], early: boolean): boolean;
  /** Whether ticks of `symbol` without a token are held now rather than dropped. */
  holding?(symbol: string): boolean;
  /** Where held ticks go: published first when the lease is taken again, or counted as dropped. */
  attach?(outlet: HoldOutlet): void;
}

export interface PublisherLeaseOptions {
  redis: Redis;
  pubsub: Pubsub;
  symbols: readonly string[];
  /** Unique per process. */
  owner: string;
  log: Logger;
  /** Lease TTL: a dead publisher's instruments are taken over within about this (default 3 s). */
  ttlMs?: number;
  /** How often a standby tries to take a free lease (default 500 ms). */
  pollMs?: number;
  /** A standby's first try waits a TTL, so a primary starting at the same time takes every instrument. */
  standby?: boolean;
  /** Ticks held per instrument while its lease is uncertain; past it the oldest are dropped (default 5,000). */
  holdLimit?: number;
}

/** The default of `holdLimit`: the batcher's own bound (feed-config.ts maxPendingPerInstrument), which they go through. */
export const DEFAULT_HOLD_LIMIT = 5_000;

/**
 * The newest seq in the node's recent items (XEP-0060 §6.5.7, the most recent items) and
 * the fencing token of its item; seq 0 when it has none.
 */
export async function lastPublished(pubsub: Pubsub, symbol: string): Promise<{ seq: number; lease?: number }> {
  let last: { seq: number; lease?: number } = { seq: 0 };
  for (const item of await pubsub.items(ticksNode(symbol), 20)) {
    const res = item.payload ? decodeTickRows(item.payload) : undefined;
    const seq = res?.ok ? res.value.rows[res.value.rows.length - 1]!.seq : 0;
    if (res?.ok && seq > last.seq) last = { seq, lease: res.value.lease };
  }
  return last;
}

/** The newest seq in the node's recent items; 0 when it has none. */
export async function lastPublishedSeq(pubsub: Pubsub, symbol: string): Promise<number> {
  return (await lastPublished(pubsub, symbol)).seq;
}

/**
 * One lease per instrument (`feed:<SYMBOL>`, services/store lease.ts): the feed publishes
 * an instrument only while it holds its lease, stamps the fencing token on every item, and
 * on taking an instrument over reads the node's last items so its seq continues above
 * them. A source seq already above them is kept (the gap shows what was missed); one at
 * or below is shifted up by a fixed offset for the whole tenure, so no seq is published
 * twice. A lease that ran out while renewals failed (Redis failing over) is only uncertain:
 * its ticks are held (lease-hold.ts) and, once this feed takes it again and the node shows
 * no other publisher, published first with the same offset and the new token. Otherwise
 * (taken by another feed, or the node's newest item is another's or at or above the oldest
 * held seq) they are dropped, as that publisher's items cover the time.
 */
export function createPublisherLeases({
  redis,
  pubsub,
  symbols,
  owner,
  log: parentLog,
  ttlMs = 3_000,
  pollMs = 500,
  standby = false,
  holdLimit = DEFAULT_HOLD_LIMIT,
}: PublisherLeaseOptions) {
  const log = parentLog.child({ component: 'publisher-leases' });
  const hold = createLeaseHold({ limit: holdLimit, log });
  const states = new Map(
    symbols.map((symbol) => {
      const st = {
        lease: undefined as unknown as Lease,
        ready: false,
        busy: false,
        floor: 0,
        offset: undefined as number | undefined,
        /** The lease ran out while this feed published: its ticks are held. */
        holding: false,
        /** The token of this feed's last tenure, and the last seq it gave a tick. */
        token: 0,
        lastSeq: 0,
      };
      st.lease = createLease({
        redis,
        name: `feed:${symbol}`,
        owner,
        ttlMs,
        onLost: (reason) => {
          if (reason === 'expired' && st.ready) st.holding = true;
          if (reason === 'taken') drop(symbol, 'lease taken by another feed');
          st.ready = false;
          if (reason !== 'released')
            log.warn({ symbol, reason, holding: st.holding }, 'stopped publishing: lease lost');
        },
        onRenewError: (err) => log.warn({ symbol, err }, 'lease renewal failed'),
      });
      return [symbol, st] as const;
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  let first: NodeJS.Timeout | undefined;
  let stopped = false;

  function drop(symbol: string, why: string) {
    states.get(symbol)!.holding = false;
    const { count, overflow } = hold.discard(symbol);
    if (count + overflow > 0) log.warn({ symbol, dropped: count, overflow }, `held ticks dropped: ${why}`);
  }

  /** Whether held ticks may go first: nobody else published on the node since (no larger token, no seq as high). */
  function unmoved(symbol: string, st: { token: number; lastSeq: number }, last: { seq: number; lease?: number }) {
    return (last.lease ?? 0) <= st.token && last.seq < (hold.firstSeq(symbol) ?? st.lastSeq + 1);
  }

  async function attempt(symbol: string) {
    const st = states.get(symbol)!;
    if (st.ready || st.busy || stopped) return;
    st.busy = true;
    try {
      const token = await st.lease.tryAcquire();
      if (token === undefined) {
        const other = st.holding ? await st.lease.holder() : undefined;
        if (other && other.owner !== owner) drop(symbol, 'lease taken by another feed');
        return;
      }
      let last: { seq: number; lease?: number };
      try {
        last = await lastPublished(pubsub, symbol);
      } catch (err) {
        // Without the node's last seq a takeover could publish a seq twice: let go, try again.
        log.warn({ symbol, err }, 'cannot read the last published seq; lease released');
        await st.lease.release();
        return;
      }
      if (!st.lease.valid() || stopped) return;
      const resumed = st.holding && unmoved(symbol, st, last);
      if (!resumed) {
        if (st.holding) drop(symbol, 'another feed published meanwhile');
        st.offset = undefined;
      }
      // Publishing again before the held ticks are handed on, so they are not held once more.
      Object.assign(st, { floor: last.seq, ready: true, holding: false, token });
      log.info({ symbol, token, lastSeq: last.seq }, 'publishing: lease taken');
      if (resumed) {
        const overflow = hold.overflow(symbol);
        log.info({ symbol, published: hold.resume(symbol), overflow }, 'held ticks published first');
      }
    } catch (err) {
      log.warn({ symbol, err }, 'lease attempt failed');
    } finally {
      st.busy = false;
    }
  }

  const tick = () => Promise.all(symbols.map(attempt));

  const gate: PublishGate = {
    token(symbol) {
      const st = states.get(symbol);
      return st?.ready && st.lease.valid() ? st.lease.token() : undefined;
    },
    seq(symbol, sourceSeq) {
      const st = states.get(symbol)!;
      st.offset ??= sourceSeq > st.floor ? 0 : st.floor + 1 - sourceSeq;
      return (st.lastSeq = sourceSeq + st.offset);
    },
    hold(symbol, ticks, early) {
      if (!gate.holding!(symbol)) return false;
      hold.add(symbol, ticks, early);
      return true;
    },
    holding(symbol) {
      const st = states.get(symbol);
      // Past the deadline before its timer ran, the lease is as uncertain as after it.
      return st !== undefined && (st.holding || (st.ready && st.lease.token() !== undefined));
    },
    attach: (outlet) => hold.attach(outlet),
  };

  return {
    gate,
    async start(): Promise<void> {
      const poll = () => {
        if (!stopped) timer = setInterval(() => void tick(), pollMs);
      };
      if (!standby) {
        await tick();
        return poll();
      }
      first = setTimeout(() => void tick().then(poll), ttlMs);
    },
    /** The instruments this feed publishes now. */
    held: (): string[] => symbols.filter((s) => gate.token(s) !== undefined),
    /** Hand every lease back so a standby takes over at once. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await Promise.all([...states.values()].map((st) => st.lease.release()));
      for (const symbol of symbols) drop(symbol, 'feed stopped');
    },
  };
}
export type PublisherLeases = ReturnType<typeof createPublisherLeases>;
