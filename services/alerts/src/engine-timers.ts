import type { Logger } from 'pino';
import type { EngineHeartbeat } from '@tickdesk/store';
import type { EngineState } from './engine.js';
import type { FiringWriter } from './firing-writer.js';
import type { RuleSync } from './rule-sync.js';
import type { RuleIndex } from './rules/index.js';
import type { RuleStore } from './store/index.js';

export interface EngineTimersDeps {
  log: Logger;
  index: Pick<RuleIndex, 'expire' | 'size'>;
  sync: Pick<RuleSync, 'forget'>;
  rules: Pick<RuleStore, 'setStatus'>;
  firings: Pick<FiringWriter, 'flushSuppressed'>;
  heartbeat: Pick<EngineHeartbeat, 'write' | 'clear'>;
  /** Write the heartbeat /health reads; with several engines only the part `alerts` does. */
  writeHeartbeat: boolean;
  state: () => EngineState;
  expirySweepMs: number;
  heartbeatEveryMs: number;
  now: () => number;
}

/**
 * The engine's two timers: the expiry sweep (rules past `expiresAt` leave the index and are
 * marked expired; suppressed firings that are due are summarised) and the heartbeat
 * (`{ state, at, rules, pid }`, rewritten every HEARTBEAT_EVERY_MS and gone HEARTBEAT_TTL_MS
 * after the engine stops writing it; /health also compares the pid with the engine process
 * `tickdesk up` runs now).
 */
export function createEngineTimers({
  log,
  index,
  sync,
  rules,
  firings,
  heartbeat,
  writeHeartbeat,
  state,
  expirySweepMs,
  heartbeatEveryMs,
  now,
}: EngineTimersDeps) {
  let timers: NodeJS.Timeout[] = [];

  async function sweepExpired(): Promise<void> {
    await firings.flushSuppressed().catch((err: Error) => log.warn({ err }, 'suppressed firings not summarised yet'));
    for (const id of index.expire(now() * 1000)) {
      sync.forget(id);
      await rules.setStatus(id, 'expired').catch((err: Error) => log.warn({ rule: id, err }, 'expiry not recorded'));
      log.info({ rule: id }, 'rule expired');
    }
  }

  const beat = async (): Promise<void> => {
    if (!writeHeartbeat) return;
    await heartbeat
      .write({ state: state(), at: now(), rules: index.size, pid: process.pid })
      .catch((err: Error) => log.warn({ err }, 'heartbeat not written'));
  };

  return {
    start(): void {
      timers = [
        setInterval(() => void sweepExpired(), expirySweepMs),
        setInterval(() => void beat(), heartbeatEveryMs),
      ];
    },
    /** One heartbeat now (the engine has just turned running). */
    beat,
    stop(): void {
      timers.forEach(clearInterval);
      timers = [];
    },
    /** The heartbeat gone at once (the engine stops), rather than at its TTL. */
    async clear(): Promise<void> {
      if (writeHeartbeat) await heartbeat.clear().catch(() => undefined);
    },
  };
}
