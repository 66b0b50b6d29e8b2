import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createLease, DEFAULT_PREFIX, recorderLeaseName, type Lease, type LeaseLostReason } from '@tickdesk/store';

export interface RecorderLeaseOptions {
  redis: Redis;
  symbols: readonly string[];
  /** Unique per process. */
  owner: string;
  log: Logger;
  ttlMs: number;
  /** A standby's first try waits a TTL, so a primary starting at the same time takes every instrument. */
  standby: boolean;
  /** How often free leases are tried at most (default a sixth of the TTL, at most 500 ms). */
  pollMs?: number;
  prefix?: string;
  /** Whether this recorder can record now (its XMPP session is up): while not, it holds no lease and takes none. */
  healthy?: () => boolean;
  /** This recorder now holds `symbol` with `token`: seed it and read the node back. */
  onGained: (symbol: string, token: number) => Promise<void>;
  /** This recorder must stop recording `symbol` now (lease expired, taken, or let go). */
  onLost: (symbol: string, reason: LeaseLostReason) => void;
}

/**
 * One lease per instrument (`recorder:<SYMBOL>`, services/store lease.ts) between the
 * recorder and its standby: an instrument is recorded only by the holder of its lease,
 * whose writes carry the lease's fencing token (write-script.ts). The holder keeps it
 * while it renews; the other tries the free leases every `pollMs`, and right after a
 * held one runs out (its remaining TTL is read), so it takes over within the TTL of the
 * holder's last renewal.
 */
export function createRecorderLeases({
  redis,
  symbols,
  owner,
  log: parentLog,
  ttlMs,
  standby,
  pollMs = Math.min(500, Math.max(50, Math.floor(ttlMs / 6))),
  prefix = DEFAULT_PREFIX,
  healthy = () => true,
  onGained,
  onLost,
}: RecorderLeaseOptions) {
  const log = parentLog.child({ component: 'recorder-leases' });
  const held = new Map<string, number>();
  let renewFailing = false;
  const leases = new Map<string, Lease>(
    symbols.map((symbol) => [
      symbol,
      createLease({
        redis,
        name: recorderLeaseName(symbol),
        owner,
        ttlMs,
        prefix,
        onLost: (reason) => {
          if (!held.delete(symbol)) return;
          if (reason !== 'released') log.warn({ symbol, reason }, 'stopped recording the instrument: lease lost');
          onLost(symbol, reason);
        },
        onRenewError: (err) => {
          if (!renewFailing)
            log.warn(
              { err },
              'recorder lease not renewed: instruments stop at their lease deadline unless Redis answers',
            );
          renewFailing = true;
        },
      }),
    ]),
  );
  const busy = new Set<string>();
  const taking = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  let unhealthy = false;
  /** One try at every lease not held; resolves with when to try again (ms). */
  async function pass(): Promise<number> {
    let next = pollMs;
    // Renewed only while healthy: a recorder that receives no items hands its instruments
    // to the other rather than keep them while it reconnects.
    if (!healthy()) {
      if (!unhealthy) log.warn({ instruments: held.size }, 'cannot record (XMPP session down): instruments let go');
      unhealthy = true;
      await Promise.all(
        [...held.keys()].map((s) =>
          leases
            .get(s)!
            .release()
            .catch(() => undefined),
        ),
      );
      return next;
    }
    unhealthy = false;
    await Promise.all(
      symbols.map(async (symbol) => {
        if (held.has(symbol) || busy.has(symbol) || stopped) return;
        busy.add(symbol);
        try {
          const lease = leases.get(symbol)!;
          const token = await lease.tryAcquire();
          renewFailing = false;
          if (token === undefined) {
            const h = await lease.holder();
            if (h && h.ttlMs >= 0) next = Math.min(next, h.ttlMs + 5);
            return;
          }
          if (stopped) return void (await lease.release());
          held.set(symbol, token);
          log.info({ symbol, token }, 'recording the instrument: lease taken');
          const t: Promise<void> = onGained(symbol, token)
            .catch((err: Error) => log.warn({ symbol, err }, 'instrument taken over without its read-back'))
            .finally(() => taking.delete(t));
          taking.add(t);
        } catch (err) {
          log.warn({ symbol, err }, 'recorder lease attempt failed');
        } finally {
          busy.delete(symbol);
        }
      }),
    );
    return Math.max(1, next);
  }

  function schedule(inMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => void pass().then(schedule), inMs);
  }

  return {
    async start(): Promise<void> {
      stopped = false;
      if (standby) return schedule(ttlMs);
      schedule(await pass());
      await Promise.all([...taking]);
    },
    /** The fencing token of `symbol` while this recorder may record it; else undefined. */
    token(symbol: string): number | undefined {
      return held.has(symbol) && leases.get(symbol)!.valid() ? held.get(symbol) : undefined;
    },
    /** The instruments this recorder records now. */
    held: (): string[] => symbols.filter((s) => held.has(s) && leases.get(s)!.valid()),
    /** Let `symbol` go (a write was refused: another recorder holds it with a newer token). */
    async drop(symbol: string): Promise<void> {
      await leases.get(symbol)?.release();
    },
    /** Hand every lease back, so the standby takes over at once. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await Promise.all([...taking]);
      await Promise.all([...leases.values()].map((l) => l.release().catch(() => undefined)));
    },
  };
}
export type RecorderLeases = ReturnType<typeof createRecorderLeases>;
