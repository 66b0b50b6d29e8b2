import { Redis } from 'ioredis';
import { createRuleStore } from '@tickdesk/alerts';
import { createLeaseScripts } from '@tickdesk/store';
import { portOf, startEngineProcess, type EngineProcess } from '../support/engine-process.js';
import { connect, desk } from './helpers.js';
import { trader } from './trader.js';

/**
 * Alert engine processes against the shared desk that share its instruments by leases
 * (TICKDESK_ALERT_ENGINES=2, leases of `leaseMs`, the outbox polled every 100 ms), with `env`.
 */
export function createEnginePool({ leaseMs, env = {} }: { leaseMs: number; env?: Record<string, string> }) {
  const engines: EngineProcess[] = [];
  return {
    start: (more: Record<string, string> = {}): EngineProcess => {
      const d = desk();
      const e = startEngineProcess({
        home: d.home,
        domain: d.domain,
        xmppPort: portOf(d.service),
        redisPort: portOf(d.redisUrl),
        env: {
          TICKDESK_ALERT_ENGINES: '2',
          TICKDESK_ALERTS_LEASE_TTL_MS: String(leaseMs),
          TICKDESK_ALERTS_POLL_MS: '100',
          ...env,
          ...more,
        },
      });
      engines.push(e);
      return e;
    },
    /** Every engine started so far is gone (a stopped one is continued as it is killed). */
    killAll: async (): Promise<void> => {
      await Promise.all(
        engines.splice(0).map(
          (e) =>
            new Promise<void>((resolve) => {
              if (e.child.exitCode !== null || e.child.signalCode !== null) return resolve();
              e.child.once('exit', () => resolve());
              e.child.kill('SIGCONT');
              e.child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}

/** The pid in each instrument's lease holder (`alerts-<host>-<pid>-<random>`), 0 when free. */
export async function leaseHolders(redis: Redis, symbols: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of symbols) {
    const h = await createLeaseScripts({ redis, name: `alerts:${s}` }).holder();
    out.set(s, h ? Number(h.owner.split('-').at(-2)) : 0);
  }
  return out;
}

/**
 * What a two-engine test file uses of the shared desk: a Redis connection, alice signed in as `resource` and the
 * feed account to publish with. `close` removes the rules the file created, then signs out.
 */
export async function openEngineDesk(resource: string) {
  const redis = new Redis(desk().redisUrl);
  const alice = await trader('alice', { resource });
  const feed = await connect('feed', resource);
  return {
    redis,
    alice,
    feed,
    async close(createdRules: readonly string[]): Promise<void> {
      const rules = createRuleStore({ redis });
      for (const id of createdRules) await rules.remove(id).catch(() => undefined);
      await alice.stop();
      await feed.stop();
      redis.disconnect();
    },
  };
}

export type EngineDesk = Awaited<ReturnType<typeof openEngineDesk>>;
