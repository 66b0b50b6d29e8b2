import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SENTINEL_MASTER, loginFor, redisClientOptions, sentinelCommand } from '@tickdesk/infra';
import { replication, sentinelDesk, until, type SentinelDesk } from './sentinel-desk.js';

/**
 * A kill -9 of a Sentinel desk's primary under `tickdesk up` while acknowledged writes
 * (SET, then WAIT 1: the replica has it) go on: the sentinels promote the replica, `up`
 * starts the killed server again as a replica of the promoted one (never as a second
 * primary from its own AOF), no acknowledged write is lost; the desk stopped and started
 * with the roles flipped keeps them; a kill of the new primary fails back the other way;
 * a killed replica comes back as the primary's replica at once.
 */
let desk: SentinelDesk | undefined;
const clients: Redis[] = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await desk?.remove();
});

/** Writers: each write a key of its own, counted once WAIT says the replica has it. */
function startWriters(redis: Redis, count = 2) {
  const acked: Array<{ n: number; at: number }> = [];
  let next = 0;
  let running = true;
  let notAcknowledged = 0;
  const writer = async () => {
    while (running) {
      const n = next++;
      try {
        await redis.set(`td:test:failover:${n}`, String(n));
        if ((await redis.wait(1, 500)) >= 1) acked.push({ n, at: Date.now() });
        else notAcknowledged++;
      } catch {
        notAcknowledged++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const all = Array.from({ length: count }, () => writer());
  return {
    acked,
    notAcknowledged: () => notAcknowledged,
    stop: async () => {
      running = false;
      await Promise.all(all);
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

describe('a Sentinel desk under tickdesk up, its primary killed', () => {
  it("fails over, brings the killed server back as the new primary's replica, loses no acknowledged write, and fails back", async () => {
    desk = await sentinelDesk();
    await desk.start();
    const d = desk;
    const creds = d.redisCredentials();
    const sentinelUser = loginFor(creds, 'sentinel').password;
    const [redisPort, replicaPort] = [d.redisPort, d.redisPort + 1];
    const named = async () => {
      const answers = await Promise.all(
        d.sentinelPorts.map((p) =>
          sentinelCommand(p, creds.sentinelPassword!, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', DEFAULT_SENTINEL_MASTER])
            .then((r) => Number(r[1]))
            .catch(() => undefined),
        ),
      );
      return answers;
    };
    const namedByMajority = async (port: number) => (await named()).filter((p) => p === port).length >= 2;
    expect(await d.cli('status')).toContain(`redis primary: redis (127.0.0.1:${redisPort}), named by 3 of 3 sentinels`);

    const target = {
      mode: 'sentinel' as const,
      masterName: DEFAULT_SENTINEL_MASTER,
      sentinels: d.sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
    };
    const redis = new Redis({
      ...redisClientOptions(target, loginFor(creds, 'desk'), creds.sentinelPassword),
      maxRetriesPerRequest: null,
    });
    redis.on('error', () => undefined);
    clients.push(redis);
    const w = startWriters(redis);
    await until('writes acknowledged', 30_000, () => w.acked.length >= 100);

    const failovers: number[] = [];
    /** kill -9 the part that is primary; the other is promoted, the killed one comes back as its replica. */
    const killPrimary = async (part: 'redis' | 'redis-replica') => {
      const [killedPort, promotedPort] = part === 'redis' ? [redisPort, replicaPort] : [replicaPort, redisPort];
      expect(await namedByMajority(killedPort)).toBe(true);
      const pid = d.state().parts[part]!.pid;
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      await until(
        `the sentinels to promote ${promotedPort}`,
        40_000,
        () => namedByMajority(promotedPort),
        `${d.home}/up.log`,
      );
      failovers.push(Date.now() - killedAt);
      const back = await until(
        `${part} back as a replica of ${promotedPort}`,
        60_000,
        async () => {
          const r = await replication(killedPort, sentinelUser);
          return r?.role === 'slave' && r.masterPort === promotedPort && r.linkUp ? r : undefined;
        },
        `${d.home}/up.log`,
      );
      expect(back).toMatchObject({ role: 'slave', masterPort: promotedPort });
      // desk.json says running once up's start of the part has returned: a moment after the replication link is up.
      await until(
        `${part} running in desk.json`,
        15_000,
        () => d.state().parts[part]?.state === 'running',
        `${d.home}/up.log`,
      );
      expect(d.state().parts[part]!.pid).not.toBe(pid);
      expect(await replication(promotedPort, sentinelUser)).toMatchObject({ role: 'master' });
      const count = w.acked.length;
      await until('writes acknowledged again', 30_000, () => w.acked.length >= count + 100);
    };

    await killPrimary('redis');
    expect(await d.cli('status')).toContain(
      `redis primary: redis-replica (127.0.0.1:${replicaPort}), named by 3 of 3 sentinels`,
    );
    await until('/health to name redis-replica primary', 30_000, async () => {
      const { components } = (await (
        await fetch(`http://127.0.0.1:${d.apiPort}/health`, { signal: AbortSignal.timeout(3_000) })
      ).json()) as { components: Record<string, { role?: string }> };
      return components['redis-replica']?.role === 'primary' && components.redis?.role === 'replica';
    });

    // Stopped and started with the roles flipped: the sentinels' record decides, not the ports.
    await d.stop();
    await d.start();
    expect(await d.cli('status')).toContain(
      `redis primary: redis-replica (127.0.0.1:${replicaPort}), named by 3 of 3 sentinels`,
    );
    expect(await replication(redisPort, sentinelUser)).toMatchObject({ role: 'slave', masterPort: replicaPort });
    const count = w.acked.length;
    await until('writes acknowledged after the restart', 60_000, () => w.acked.length >= count + 100);

    await killPrimary('redis-replica');
    expect(await d.cli('status')).toContain(`redis primary: redis (127.0.0.1:${redisPort}), named by 3 of 3 sentinels`);

    // The replica killed: back at once as the primary's replica, no fail-over.
    const replicaPid = d.state().parts['redis-replica']!.pid;
    const replicaKilledAt = Date.now();
    process.kill(replicaPid, 'SIGKILL');
    await until(
      'the replica back',
      30_000,
      async () => {
        const r = await replication(replicaPort, sentinelUser);
        return (
          d.state().parts['redis-replica']!.pid !== replicaPid &&
          r?.role === 'slave' &&
          r.masterPort === redisPort &&
          r.linkUp
        );
      },
      `${d.home}/up.log`,
    );
    const replicaBackMs = Date.now() - replicaKilledAt;
    expect(await namedByMajority(redisPort)).toBe(true);
    expect(readFileSync(join(d.home, 'logs', 'desk.log'), 'utf8')).toMatch(
      new RegExp(
        `redis-replica: the sentinels name 127\\.0\\.0\\.1:${redisPort} primary: back as its replica \\(asked the sentinels for 0\\.\\d s\\)`,
      ),
    );
    await w.stop();

    const keys = w.acked.map((a) => `td:test:failover:${a.n}`);
    const lost: string[] = [];
    for (let i = 0; i < keys.length; i += 500) {
      const values = await redis.mget(...keys.slice(i, i + 500));
      values.forEach((v, j) => {
        if (v === null) lost.push(keys[i + j]!);
      });
    }
    console.log(
      JSON.stringify({
        acknowledged: keys.length,
        lost: lost.length,
        notAcknowledged: w.notAcknowledged(),
        failoverMs: failovers,
        medianFailoverMs: median(failovers),
        replicaBackMs,
      }),
    );
    expect(lost).toEqual([]);
    expect(failovers).toHaveLength(2);
  }, 600_000);
});
