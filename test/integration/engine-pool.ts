import type { Redis } from 'ioredis';
import { createLeaseScripts } from '@tickdesk/store';
import { portOf, startEngineProcess, type EngineProcess } from '../support/engine-process.js';
import { desk } from './helpers.js';

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
