import type { Logger } from 'pino';
import type { Rule } from '@tickdesk/schemas';
import type { AlertsMetrics } from './alerts-metrics.js';
import type { Retirement } from './delivery.js';
import type { AuditChain, RuleStore, StoredAlert } from './store/index.js';

/** Rule changes arriving together (a trader deleting many rules) share one pass over the outbox. */
const BATCH_MS = 50;

export interface RetirementDeps {
  rules: RuleStore;
  audit: AuditChain;
  log: Logger;
  metrics: AlertsMetrics;
  /** The delivery's pass over the outbox (Delivery.retireWhere). */
  retireWhere: (match: (alert: StoredAlert) => Retirement | undefined) => Promise<number>;
}

/**
 * Alerts nobody should receive any more: those of a deleted or paused rule, of a
 * disabled trader, or escalated to a disabled backup. Rule changes come from rule sync
 * (every path: REST, chat, ad-hoc); disabled accounts from the engine's reading of
 * roles. A disabled trader's active rules are paused, each pause in the audit chain
 * (alertId = the rule id); re-enabling the account does not resume them.
 */
export function createRetirement({ rules, audit, log: parentLog, metrics, retireWhere }: RetirementDeps) {
  const log = parentLog.child({ component: 'retirement' });
  const disabled = new Set<string>();
  const pending = new Map<string, Retirement>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<unknown> = Promise.resolve();

  function flush(): Promise<unknown> {
    timer = undefined;
    const batch = new Map(pending);
    pending.clear();
    if (batch.size === 0) return flushing;
    flushing = flushing
      .then(() => retireWhere((a) => batch.get(a.ruleId)))
      .then((n) => {
        if (n > 0) log.info({ rules: batch.size, alerts: n }, 'alerts of deleted or paused rules retired');
      })
      .catch((err: Error) => log.warn({ err }, 'retiring alerts failed; each is retired when next due'));
    return flushing;
  }

  const ofUser =
    (user: string) =>
    (a: StoredAlert): Retirement | undefined =>
      a.owner === user
        ? { kind: 'trader-disabled', detail: `trader ${user} disabled` }
        : a.recipient === user
          ? { kind: 'backup-disabled', detail: `backup ${user} disabled` }
          : undefined;

  return {
    isDisabled: (user: string): boolean => disabled.has(user),

    /** Why an outstanding alert must not be sent again, if it must not. */
    async reasonFor(a: StoredAlert): Promise<Retirement | undefined> {
      const byUser =
        disabled.has(a.owner) || disabled.has(a.recipient)
          ? ofUser(disabled.has(a.owner) ? a.owner : a.recipient)(a)
          : undefined;
      if (byUser) return byUser;
      const rule = await rules.get(a.ruleId);
      if (!rule) return { kind: 'rule-deleted', detail: `rule ${a.ruleId} deleted` };
      if (rule.status === 'paused' && rule.pausedReason !== 'firing-limit')
        return { kind: 'rule-paused', detail: `rule ${a.ruleId} paused` };
      return undefined;
    },

    /** From rule sync: the rule was deleted or paused. */
    ruleLeft(id: string, why: 'deleted' | 'paused', rule?: Rule): void {
      const owner = rule?.owner;
      pending.set(
        id,
        owner !== undefined && disabled.has(owner)
          ? { kind: 'trader-disabled', detail: `trader ${owner} disabled` }
          : { kind: why === 'deleted' ? 'rule-deleted' : 'rule-paused', detail: `rule ${id} ${why}` },
      );
      timer ??= setTimeout(() => void flush(), BATCH_MS);
    },

    /**
     * A user's role is now `disabled`: pause their active rules (audited), then, unless
     * the caller retires the outbox itself (start-up), retire alerts to them or escalated to them.
     */
    async traderDisabled(user: string, scanOutbox: boolean): Promise<void> {
      if (disabled.has(user)) return;
      disabled.add(user);
      for (const listed of await rules.list({ owner: user })) {
        // Compare-and-set on the version read: a once rule that fired meanwhile stays triggered.
        for (
          let round = 0, rule = listed as Rule | undefined;
          round < 5 && rule?.status === 'active';
          round++, rule = await rules.get(listed.id)
        ) {
          if (typeof (await rules.setStatus(rule.id, 'paused', rule.version)) === 'string') continue;
          await audit.append({
            alertId: rule.id,
            trader: user,
            symbol: rule.symbol,
            event: 'rule-paused',
            stanzaHash: '',
            detail: 'reason=trader-disabled',
          });
          metrics.rulesPaused.inc();
          log.info({ user, rule: rule.id }, 'rule of a disabled trader paused');
          break;
        }
      }
      if (scanOutbox) {
        const n = await retireWhere(ofUser(user));
        log.info({ user, alerts: n }, 'alerts to a disabled trader retired');
      }
    },

    /** The role is no longer `disabled`: a backup may be told again; paused rules stay paused. */
    traderEnabled(user: string): void {
      disabled.delete(user);
    },

    async stop(): Promise<void> {
      clearTimeout(timer);
      await flush();
    },
  };
}
export type RetirementService = ReturnType<typeof createRetirement>;
