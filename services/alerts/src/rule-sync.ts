import type { Logger } from 'pino';
import { DEFAULT_COOLDOWN_SECONDS, parseTimestamp, type Rule } from '@tickdesk/schemas';
import { defined } from './defined.js';
import type { RuleIndex, RuleSpec } from './rules/index.js';
import type { RuleStore } from './store/index.js';

/**
 * The part of a stored rule the evaluator needs. An every-time rule stored with a
 * cooldown under `minCooldownSeconds` (before the minimum existed, or written around
 * the validation) is evaluated with the minimum.
 */
export function ruleSpec(rule: Rule, lastFiredMicros?: number, minCooldownSeconds = 0): RuleSpec {
  const expires = rule.expiresAt ? parseTimestamp(rule.expiresAt) : undefined;
  const cooldownSeconds =
    rule.frequency === 'every-time'
      ? Math.max(rule.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS, minCooldownSeconds)
      : rule.cooldownSeconds;
  return {
    id: rule.id,
    symbol: rule.symbol,
    condition: rule.condition,
    frequency: rule.frequency,
    ...defined({
      threshold: rule.threshold,
      lower: rule.lower,
      upper: rule.upper,
      amount: rule.amount,
      windowSeconds: rule.windowSeconds,
      interval: rule.interval,
      cooldownSeconds,
      expiresAtMicros: expires,
      lastFiredMicros,
      series: rule.series,
      and: rule.and,
    }),
  };
}

export interface RuleSyncDeps {
  rules: RuleStore;
  index: RuleIndex;
  log: Logger;
  /** When each rule last fired (µs of event time), so cooldowns and bars survive a restart. */
  lastFired: (ids: readonly string[]) => Promise<Map<string, number>>;
  minCooldownSeconds?: number;
  /**
   * Of these once rules, those that have an alert already (the outbox's once-fired mark):
   * never placed in the index, and marked triggered if their engine was killed before that.
   */
  firedOnce?: (rules: readonly Rule[]) => Promise<Set<string>>;
  /** A rule was deleted or paused: its outstanding alerts are to be retired. */
  onRetire?: (id: string, why: 'deleted' | 'paused', rule?: Rule) => void;
  /** A stored rule, whatever its status, as it is now (undefined: deleted): the partner traders it names are followed. */
  onStored?: (id: string, rule: Rule | undefined) => void;
  /** Every stored rule, at start and after a resync. */
  onAllStored?: (rules: readonly Rule[]) => void;
}

/**
 * Keeps the in-memory index equal to the active rules in Redis: everything at start,
 * then each change as the store announces it (within a second of a REST or chat edit).
 */
export function createRuleSync({
  rules,
  index,
  log: parentLog,
  lastFired,
  minCooldownSeconds = 0,
  onRetire,
  onStored,
  onAllStored,
  firedOnce = () => Promise.resolve(new Set<string>()),
}: RuleSyncDeps) {
  const log = parentLog.child({ component: 'rule-sync' });
  const known = new Map<string, Rule>();
  let unsubscribe: (() => Promise<void>) | undefined;

  /** The rules of `candidates` that may go in the index; once rules that fired are forgotten and marked triggered. */
  async function unspent(candidates: readonly Rule[]): Promise<Rule[]> {
    const spent = await firedOnce(candidates.filter((r) => r.frequency === 'once'));
    for (const id of spent) {
      known.delete(id);
      index.remove(id);
      await rules
        .setStatus(id, 'triggered')
        .catch((err: Error) => log.warn({ rule: id, err }, 'fired once rule not marked triggered'));
      log.info({ rule: id }, 'once rule that already fired left the index');
    }
    return candidates.filter((r) => !spent.has(r.id));
  }

  async function apply(id: string): Promise<void> {
    const rule = await rules.get(id);
    const have = known.get(id);
    if (rule && have && rule.version < have.version) return; // an older change arriving late
    onStored?.(id, rule);
    if (!rule || rule.status !== 'active') {
      // A once rule that fired is 'triggered' and an expired one 'expired': their alerts still go.
      // A rule that paused itself at its firing limit (flap-control.ts): its last alerts still go.
      if (!rule || (rule.status === 'paused' && rule.pausedReason !== 'firing-limit'))
        onRetire?.(id, rule ? 'paused' : 'deleted', rule);
      known.delete(id);
      if (index.remove(id)) log.debug({ rule: id, status: rule?.status ?? 'deleted' }, 'rule left the index');
      return;
    }
    if ((await unspent([rule])).length === 0) return;
    const fired = (await lastFired([id])).get(id);
    known.set(id, rule);
    index.upsert(ruleSpec(rule, fired, minCooldownSeconds));
  }

  /** After the change channel was down (Redis reconnect), changes may be missed: compare everything. */
  async function resync(): Promise<void> {
    const seen = new Set<string>();
    const stored: Rule[] = [];
    for await (const rule of rules.all()) {
      seen.add(rule.id);
      stored.push(rule);
      const stale = rule.status === 'active' ? known.get(rule.id)?.version !== rule.version : known.has(rule.id);
      if (stale) await apply(rule.id);
    }
    for (const id of [...known.keys()]) if (!seen.has(id)) await apply(id);
    onAllStored?.(stored);
    log.info({ rules: known.size }, 'rules resynchronised');
  }

  return {
    async start(): Promise<number> {
      // Subscribe first, so a change made while loading is not missed (applying it twice is harmless).
      unsubscribe = await rules.subscribe(
        (change) => {
          apply(change.id).catch((err: Error) => log.warn({ rule: change.id, err }, 'rule change not applied'));
        },
        () => {
          resync().catch((err: Error) => log.warn({ err }, 'rule resync failed'));
        },
      );
      const active: Rule[] = [];
      const stored: Rule[] = [];
      for await (const rule of rules.all()) {
        stored.push(rule);
        if (rule.status === 'active') active.push(rule);
      }
      onAllStored?.(stored);
      active.splice(0, active.length, ...(await unspent(active)));
      const fired = await lastFired(active.map((r) => r.id));
      for (const rule of active) {
        known.set(rule.id, rule);
        index.upsert(ruleSpec(rule, fired.get(rule.id), minCooldownSeconds));
      }
      log.info({ rules: active.length }, 'rules loaded');
      return active.length;
    },
    get: (id: string): Rule | undefined => known.get(id),
    /**
     * An instrument taken over from another engine: its rules placed again with their last
     * firing from Redis, as at a restart, so cooldowns and bars that engine started hold here.
     */
    async reloadSymbol(symbol: string): Promise<void> {
      const mine = await unspent([...known.values()].filter((r) => r.symbol === symbol));
      const fired = await lastFired(mine.map((r) => r.id));
      for (const rule of mine)
        if (known.get(rule.id) === rule) index.upsert(ruleSpec(rule, fired.get(rule.id), minCooldownSeconds));
    },
    forget(id: string): void {
      known.delete(id);
      index.remove(id);
    },
    async stop(): Promise<void> {
      await unsubscribe?.();
    },
  };
}
export type RuleSync = ReturnType<typeof createRuleSync>;
