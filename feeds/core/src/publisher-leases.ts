import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { decodeTickRows, ticksNode } from '@tickdesk/schemas';
import { createLease, type Lease } from '@tickdesk/store';
import type { Pubsub } from '@tickdesk/xmpp';

/** What the feed asks before it takes a tick in and before each publish. */
export interface PublishGate {
  /** The fencing token to stamp on `symbol`'s items while this feed may publish it; else undefined. */
  token(symbol: string): number | undefined;
  /** The seq to publish for a source tick: above every seq on the node before this feed took it over. */
  seq(symbol: string, sourceSeq: number): number;
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
}

/** The newest seq in the node's recent items (XEP-0060 §6.5.7, the most recent items); 0 when it has none. */
export async function lastPublishedSeq(pubsub: Pubsub, symbol: string): Promise<number> {
  let last = 0;
  for (const item of await pubsub.items(ticksNode(symbol), 20)) {
    const res = item.payload ? decodeTickRows(item.payload) : undefined;
    if (res?.ok) last = Math.max(last, res.value.rows[res.value.rows.length - 1]!.seq);
  }
  return last;
}

/**
 * One lease per instrument (`feed:<SYMBOL>`, services/store lease.ts): the feed publishes
 * an instrument only while it holds its lease, stamps the fencing token on every item, and
 * on taking an instrument over reads the node's last items so its seq continues above
 * them. A source seq already above them is kept (the gap shows what was missed); one at
 * or below is shifted up by a fixed offset for the whole tenure, so no seq is published
 * twice.
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
}: PublisherLeaseOptions) {
  const log = parentLog.child({ component: 'publisher-leases' });
  const states = new Map(
    symbols.map((symbol) => {
      const st = {
        lease: undefined as unknown as Lease,
        ready: false,
        busy: false,
        floor: 0,
        offset: undefined as number | undefined,
      };
      st.lease = createLease({
        redis,
        name: `feed:${symbol}`,
        owner,
        ttlMs,
        onLost: (reason) => {
          st.ready = false;
          if (reason !== 'released') log.warn({ symbol, reason }, 'stopped publishing: lease lost');
        },
        onRenewError: (err) => log.warn({ symbol, err }, 'lease renewal failed'),
      });
      return [symbol, st] as const;
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  let first: NodeJS.Timeout | undefined;
  let stopped = false;

  async function attempt(symbol: string) {
    const st = states.get(symbol)!;
    if (st.ready || st.busy || stopped) return;
    st.busy = true;
    try {
      const token = await st.lease.tryAcquire();
      if (token === undefined) return;
      let floor: number;
      try {
        floor = await lastPublishedSeq(pubsub, symbol);
      } catch (err) {
        // Without the node's last seq a takeover could publish a seq twice: let go, try again.
        log.warn({ symbol, err }, 'cannot read the last published seq; lease released');
        await st.lease.release();
        return;
      }
      if (!st.lease.valid() || stopped) return;
      Object.assign(st, { floor, offset: undefined, ready: true });
      log.info({ symbol, token, lastSeq: floor }, 'publishing: lease taken');
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
      return sourceSeq + st.offset;
    },
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
    },
  };
}
export type PublisherLeases = ReturnType<typeof createPublisherLeases>;
