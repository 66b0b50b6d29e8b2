import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { alertKeys, DEFAULT_PREFIX, type FlapStore, type RuleStore } from './store/index.js';
import type { SilenceStore } from './silences/index.js';

/**
 * How long after a deletion is heard its leftovers wait: a firing of the rule evaluated just
 * before it left the index still writes its flap state and last firing within this.
 */
const LEFTOVERS_GRACE_MS = 1_000;
/** Ids per command when many rules go at once (a trader deleting 500 rules). */
const CHUNK = 500;

export interface RuleLeftoversDeps {
  redis: Redis;
  prefix?: string;
  /** Hash rule id → last firing (engineKeys().fired). */
  firedKey: string;
  flap: Pick<FlapStore, 'forget'>;
  rules: Pick<RuleStore, 'get'>;
  silences: Pick<SilenceStore, 'listAll' | 'end'>;
  log: Logger;
  graceMs?: number;
  now?: () => number;
}

/**
 * What a deleted rule leaves in Redis, removed with it (docs/operations.md "Deleted rules"):
 * its flap-control hash, its once-fired mark, its last firing, and a silence naming it is
 * ended (kept a day as ended, as one ended over REST). Its alerts and their audit records
 * stay (compliance); its rate-cap window expires by itself. Deletions come from rule sync,
 * whichever path made them; those made while no engine ran are found at the next start.
 */
export function createRuleLeftovers({
  redis,
  prefix = DEFAULT_PREFIX,
  firedKey,
  flap,
  rules,
  silences,
  log: parentLog,
  graceMs = LEFTOVERS_GRACE_MS,
  now = Date.now,
}: RuleLeftoversDeps) {
  const log = parentLog.child({ component: 'rule-leftovers' });
  const keys = alertKeys(prefix);
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let clearing: Promise<unknown> = Promise.resolve();

  async function clear(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      // The fired hash has no hash tag: a command of its own (keys.ts).
      await Promise.all([flap.forget(chunk), redis.hdel(keys.onceFired, ...chunk), redis.hdel(firedKey, ...chunk)]);
    }
    const gone = new Set(ids);
    const named = (await silences.listAll()).filter((s) => s.ruleId !== undefined && gone.has(s.ruleId));
    let ended = 0;
    for (const s of named) if (await silences.end(s, now())) ended += 1;
    log.info({ rules: ids.length, silencesEnded: ended }, 'state of deleted rules removed');
  }

  function flush(): Promise<unknown> {
    timer = undefined;
    const ids = [...pending];
    pending.clear();
    if (ids.length === 0) return clearing;
    clearing = clearing
      .then(() => clear(ids))
      .catch((err: Error) => log.warn({ err, rules: ids.length }, 'state of deleted rules not removed; next start'));
    return clearing;
  }

  return {
    /** From rule sync: the rule was deleted. */
    ruleDeleted(id: string): void {
      pending.add(id);
      timer ??= setTimeout(() => void flush(), graceMs);
    },
    /** At start: the rules with a last firing or a once-fired mark that are no longer stored. */
    async sweep(): Promise<number> {
      const [fired, once] = await Promise.all([redis.hkeys(firedKey), redis.hkeys(keys.onceFired)]);
      const candidates = [...new Set([...fired, ...once])];
      const gone: string[] = [];
      for (let i = 0; i < candidates.length; i += CHUNK) {
        const chunk = candidates.slice(i, i + CHUNK);
        // Rule ids are never reused: one that fired and is not stored now was deleted.
        const found = await Promise.all(chunk.map((id) => rules.get(id)));
        chunk.forEach((id, j) => found[j] === undefined && gone.push(id));
      }
      if (gone.length > 0) await clear(gone);
      return gone.length;
    },
    async stop(): Promise<void> {
      clearTimeout(timer);
      await flush();
    },
  };
}
