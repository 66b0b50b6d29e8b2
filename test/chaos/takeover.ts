import { Redis } from 'ioredis';
import { loginFor, redisConnection } from '@tickdesk/infra';
import { ticksKey } from '@tickdesk/recorder';
import { createLeaseScripts } from '@tickdesk/store';
import { timeline } from '../cluster/desk-watchers.js';
import { BURST_SYMBOL } from './burst.js';
import { LIVE, TRADERS, type ChaosDesk } from './chaos-desk.js';

/** The parts that have a standby, by the role of their lease (`<role>:<SYMBOL>`); Redis's standby is the replica. */
export type StandbyRole = 'alerts' | 'feed' | 'recorder' | 'redis';

export function standbyRole(part: string): StandbyRole | undefined {
  if (/^alerts(-\d+)?$/.test(part)) return 'alerts';
  if (/^feed(-standby)?$/.test(part)) return 'feed';
  if (/^recorder(-standby)?$/.test(part)) return 'recorder';
  if (/^redis(-replica)?$/.test(part)) return 'redis';
  return undefined;
}

/** The desk's part whose process id is `pid` (desk.json). */
function partOfPid(cd: ChaosDesk, pid: number): string | undefined {
  return Object.entries(cd.desk.state().parts).find(([, p]) => p.pid === pid)?.[0];
}

/** The part holding `<role>:ESZ6`'s lease now: its owner is `<role>-<host>-<pid>-<random>`. */
export async function leaseHolder(cd: ChaosDesk, role: string): Promise<string | undefined> {
  const h = await createLeaseScripts({ redis: cd.redis, name: `${role}:${BURST_SYMBOL}` }).holder();
  const pid = h ? Number(/-(\d+)-[0-9a-f]+$/.exec(h.owner)?.[1]) : NaN;
  return Number.isFinite(pid) ? partOfPid(cd, pid) : undefined;
}

/** The Redis part on `port` (the primary's configured port is `redis`, the next one `redis-replica`). */
export const redisPartOnPort = (cd: ChaosDesk, port: number) =>
  port === cd.desk.ports.redis ? 'redis' : 'redis-replica';
const redisPortOf = (cd: ChaosDesk, part: string) => (part === 'redis' ? cd.desk.ports.redis : cd.desk.ports.redis + 1);

/** One Redis server's replication role, asked directly (not through the sentinels). */
export async function redisRole(
  cd: ChaosDesk,
  part: string,
): Promise<{ role: string; masterPort?: number; linkUp?: boolean }> {
  const r = new Redis({
    ...redisConnection(redisPortOf(cd, part), loginFor(cd.desk.credentials().redis, 'desk')),
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    const info = await r.info('replication');
    const field = (k: string) => new RegExp(`^${k}:(.*)$`, 'm').exec(info)?.[1]?.trim();
    const masterPort = field('master_port');
    return {
      role: field('role') ?? 'unknown',
      ...(masterPort ? { masterPort: Number(masterPort), linkUp: field('master_link_status') === 'up' } : {}),
    };
  } finally {
    r.disconnect();
  }
}

export interface Takeover {
  /** Seconds from the kill to the first sign of another process doing the killed part's work; undefined when none was seen. */
  seconds?: number;
  /** Which part it was (the standby, or the killed part started again if it came first). */
  by?: string;
  /** The feed: seconds until every instrument the killed feed published was published again. */
  allSeconds?: number;
}

/**
 * Watches, from the kill of `part` (pid `killedPid`) on, for the first evidence that another
 * process acts for it: an alert sent from another engine's resource; a tick item with a
 * newer fencing token (another feed's); a tick with an event time after the kill written to
 * the history; the replica answering as primary.
 */
export function watchTakeover(cd: ChaosDesk, part: string, killedPid: number, killedAt: number) {
  const role = standbyRole(part);
  const since = (at: number | undefined) => (at === undefined ? undefined : (at - killedAt) / 1000);
  // The recorder and Redis leave no trace the test receives: sampled every 100 ms.
  const sampled =
    role === 'recorder' || role === 'redis'
      ? timeline(async () => {
          if (role === 'redis')
            return (await redisRole(cd, part === 'redis' ? 'redis-replica' : 'redis')).role === 'master';
          const counts = await Promise.all(LIVE.map((s) => cd.redis.zcount(ticksKey(s), killedAt * 1000, '+inf')));
          return counts.some((n) => n > 0);
        }, 100)
      : undefined;
  const leasesBefore = new Map(
    [...cd.ticks.items].map(([s, list]) => [
      s,
      Math.max(-1, ...list.filter((i) => i.at < killedAt).map((i) => i.lease ?? -1)),
    ]),
  );

  return {
    async result(): Promise<Takeover> {
      await sampled?.stop();
      if (role === undefined) return {};
      if (role === 'alerts') {
        const killed = `engine-${killedPid}`;
        const first = TRADERS.flatMap((t) => cd.traders[t]!.received)
          .filter((r) => r.at >= killedAt && r.from !== killed)
          .sort((a, b) => a.at - b.at)[0];
        const pid = Number(/^engine-(\d+)$/.exec(first?.from ?? '')?.[1]);
        return {
          seconds: since(first?.at),
          by: (Number.isFinite(pid) ? partOfPid(cd, pid) : undefined) ?? first?.from,
        };
      }
      if (role === 'feed') {
        const firsts = [...cd.ticks.items].flatMap(([s, list]) =>
          list
            .filter((i) => i.at >= killedAt && (i.lease ?? -1) > (leasesBefore.get(s) ?? -1))
            .slice(0, 1)
            .map((i) => i.at),
        );
        if (firsts.length === 0) return {};
        return {
          seconds: since(Math.min(...firsts)),
          allSeconds: since(Math.max(...firsts)),
          by: await leaseHolder(cd, 'feed'),
        };
      }
      const at = sampled!.firstAfter(killedAt, (v) => v);
      const by =
        role === 'redis'
          ? (await redisRole(cd, 'redis')).role === 'master'
            ? 'redis'
            : 'redis-replica'
          : await leaseHolder(cd, 'recorder');
      return { seconds: since(at), by: by ?? role };
    },
  };
}
