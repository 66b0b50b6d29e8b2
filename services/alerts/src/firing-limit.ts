import type { Logger } from 'pino';
import { formatMillis, type Rule } from '@tickdesk/schemas';
import { xml, type Element } from '@tickdesk/xmpp';
import type { AlertsMetrics } from './alerts-metrics.js';
import { traderJid } from './desk-user.js';
import type { AuditChain, RuleStore } from './store/index.js';

export interface FiringLimitDeps {
  audit: AuditChain;
  rules: Pick<RuleStore, 'setStatus'>;
  metrics: AlertsMetrics;
  log: Logger;
  /** The rule leaves this engine's index. */
  forget: (ruleId: string) => void;
  /** A chat message to a desk trader. */
  tell: (trader: string, text: string) => Promise<void>;
  now: () => number;
}

/** A plain chat message to a desk trader (what the engine says about their rules). */
export const chatTo = (trader: string, domain: string, text: string): Element =>
  xml('message', { to: traderJid(trader, domain), type: 'chat' }, xml('body', {}, text));

/**
 * A rule at its firing limit (maxFirings) pauses itself: by a compare-and-set on the version
 * whose firings were counted, so once (a firing after the limit makes it again if it did not
 * land, Redis being away); `rule-limited` is appended to the audit chain (alertId = the rule
 * id) and the owner is told in chat how to resume it.
 */
export function createFiringLimit({ audit, rules, metrics, log, forget, tell, now }: FiringLimitDeps) {
  return async function pauseAtLimit(rule: Rule, n: number): Promise<void> {
    forget(rule.id);
    const pausedAt = formatMillis(now());
    const paused = await rules.setStatus(rule.id, 'paused', rule.version, { pausedReason: 'firing-limit', pausedAt });
    if (typeof paused === 'string') return; // changed or paused meanwhile: a rule changed starts its count again
    const detail = `firings=${n} limit=${rule.maxFirings}`;
    const { id, owner, symbol } = rule;
    await audit.append({ alertId: id, trader: owner, symbol, event: 'rule-limited', stanzaHash: '', detail });
    metrics.rulesPaused.inc();
    log.info({ rule: id, owner, firings: n }, 'rule paused itself at its firing limit');
    await tell(
      owner,
      `Rule ${id} (${symbol}) paused itself after ${n} firings, its limit (maxFirings ${rule.maxFirings}). ` +
        `Resume it to start counting again: "resume ${id}" here, Resume in the dashboard, or POST /v1/rules/${id}/resume.`,
    ).catch((err: Error) => log.warn({ rule: id, err }, 'owner not told of the paused rule'));
  };
}
