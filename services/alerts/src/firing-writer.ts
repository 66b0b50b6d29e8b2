import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { formatMicros, formatMillis, type Rule } from '@tickdesk/schemas';
import { alertBody } from './alert-message.js';
import type { AlertLimits, LimitVerdict } from './alert-limits.js';
import type { AlertsMetrics } from './alerts-metrics.js';
import { alertContent } from './delivery.js';
import { defined } from './defined.js';
import { AlertsError } from './errors.js';
import type { Firing } from './rules/index.js';
import type { AlertStore, AuditChain, RuleStore, StoredAlert } from './store/index.js';
import type { SuppressionLedger, SuppressionSummary } from './suppression-ledger.js';

const NEVER = 8_640_000_000_000_000;

/** Deterministic: evaluating the same tick again (after a crash) yields the same alert, which the outbox already has. */
export const alertId = (rule: Rule, symbol: string, seq: number): string =>
  `a${createHash('sha256').update(`${rule.id}|${rule.version}|${symbol}|${seq}`).digest('hex').slice(0, 24)}`;

type Verdict = LimitVerdict | (Extract<LimitVerdict, { ok: false }> & { counted: boolean });

export interface FiringWriterDeps {
  redis: Redis;
  alerts: AlertStore;
  audit: AuditChain;
  rules: RuleStore;
  limits: AlertLimits;
  suppressions: SuppressionLedger;
  metrics: AlertsMetrics;
  /** The active rule by id (rule sync), and forgetting a once rule that fired. */
  ruleOf(id: string): Rule | undefined;
  forget(id: string): void;
  /** Hash of rule id → event time (µs) of its last firing, for cooldowns after a restart. */
  firedKey: string;
  now: () => number;
}

/**
 * Turns a firing into an alert in the outbox, with its `fired` audit record, before
 * anything is sent. A firing of a repeating rule (every-time, once-per-bar) over a rate
 * cap is never sent: the first of its cap key is stored as `suppressed` (audited with the
 * cap, visible in the alert history), later ones are counted and summarised
 * (suppression-ledger.ts).
 */
export function createFiringWriter({ redis, alerts, audit, rules, limits, suppressions, metrics, ruleOf, forget, firedKey, now }: FiringWriterDeps) {
  /** Verdicts of firings not yet in Redis: a firing written again after a Redis error keeps its first verdict and budget. */
  const verdicts = new Map<string, Verdict>();
  /**
   * Alerts this process stored (or may have: the write failed after Redis ran it, e.g. not
   * acknowledged by a replica) whose audit record is not yet acknowledged: a retry that finds
   * the alert stored goes on to its record instead of taking it for an earlier process's.
   */
  const unaudited = new Set<string>();
  let fired = 0;

  function verdictFor(id: string, rule: Rule, f: Firing): Verdict {
    const known = verdicts.get(id);
    if (known) return known;
    // A once rule fires once per rule created: the rule cap and the write limit bound those.
    const v = rule.frequency === 'once' ? { ok: true as const } : limits.take(rule.id, rule.owner);
    const verdict: Verdict = v.ok ? v : { ...v, counted: suppressions.note(v, { alertId: id, ruleId: rule.id, trader: rule.owner, symbol: f.symbol, seq: f.seq, price: f.price }) === 'count' };
    verdicts.set(id, verdict);
    return verdict;
  }

  /** `token`: the instrument's lease token (several engines); a write it cannot make throws TICKDESK_ALERTS_FENCED. */
  async function persist(f: Firing, token?: number): Promise<StoredAlert | undefined> {
    const rule = ruleOf(f.ruleId);
    if (!rule) return undefined;
    const firedAt = formatMillis(now());
    const id = alertId(rule, f.symbol, f.seq);
    const verdict = verdictFor(id, rule, f);
    if (!verdict.ok && 'counted' in verdict && verdict.counted) {
      await redis.hset(firedKey, rule.id, String(f.eventMicros));
      verdicts.delete(id);
      metrics.suppressed.inc({ cap: verdict.cap });
      return undefined;
    }
    const suppressed = verdict.ok ? undefined : `cap=${verdict.cap} limit=${verdict.limit}/${verdict.windowMs / 1000}s rule=${rule.id} seq=${f.seq} price=${f.price}`;
    const alert: StoredAlert = {
      id, ruleId: rule.id, owner: rule.owner, recipient: rule.owner, symbol: f.symbol, condition: rule.condition, price: f.price,
      tickSeq: f.seq, eventTime: formatMicros(f.eventMicros), firedAt, priority: rule.priority,
      ...defined({
        backup: rule.backup, threshold: rule.threshold, lower: rule.lower, upper: rule.upper, amount: rule.amount, windowSeconds: rule.windowSeconds,
        previousPrice: f.previousPrice, reference: f.reference, message: rule.message,
      }),
      body: '', state: suppressed ? 'suppressed' : 'pending', attempts: 0, nextActionAt: suppressed ? NEVER : now(),
      lifecycle: [suppressed ? { event: 'suppressed', at: firedAt, detail: suppressed } : { event: 'fired', at: firedAt }],
    };
    alert.body = alertBody(alertContent(alert));
    const retry = unaudited.has(id);
    unaudited.add(id);
    const [, created] = await Promise.all([redis.hset(firedKey, rule.id, String(f.eventMicros)), token === undefined ? alerts.create(alert) : alerts.create(alert, token)]);
    if (created === 'fenced') {
      unaudited.delete(id);
      verdicts.delete(id);
      throw new AlertsError('TICKDESK_ALERTS_FENCED', `${f.symbol}: lease token ${token} is older than another engine's; firing not written`);
    }
    if (!created && !retry) {
      // Evaluated before a crash: already in the outbox, with its record. A once rule's
      // status write may not have landed before the crash: made now, or it stays active
      // and can fire a second time.
      unaudited.delete(id);
      verdicts.delete(id);
      await retireOnce(rule);
      return undefined;
    }
    if (suppressed) {
      await audit.append({ alertId: id, trader: rule.owner, symbol: f.symbol, event: 'suppressed', stanzaHash: '', detail: suppressed });
      metrics.suppressed.inc({ cap: verdict.ok ? '' : verdict.cap });
    } else {
      await audit.append({ alertId: id, trader: rule.owner, symbol: f.symbol, event: 'fired', stanzaHash: '', detail: `rule=${rule.id} seq=${f.seq} price=${f.price}` });
      fired += 1;
      metrics.fired.inc();
    }
    unaudited.delete(id);
    verdicts.delete(id);
    await retireOnce(rule);
    return suppressed ? undefined : alert;
  }

  async function retireOnce(rule: Rule): Promise<void> {
    if (rule.frequency !== 'once') return;
    forget(rule.id);
    await rules.setStatus(rule.id, 'triggered');
  }

  /** One more `suppressed` step and audit record on the recorded alert: how many firings were counted since, and the last. */
  async function summarise(s: SuppressionSummary): Promise<void> {
    const detail = `cap=${s.cap.cap} limit=${s.cap.limit}/${s.cap.windowMs / 1000}s count=${s.count} last-rule=${s.last.ruleId} last-seq=${s.last.seq} last-price=${s.last.price}`;
    await alerts.transition(s.first.alertId, {}, { event: 'suppressed', at: formatMillis(now()), detail });
    await audit.append({ alertId: s.first.alertId, trader: s.first.trader, symbol: s.first.symbol, event: 'suppressed', stanzaHash: '', detail });
  }

  return {
    persist,
    /** Summaries of counted firings that are due (`all`: every one, on stop). */
    async flushSuppressed(all = false): Promise<void> {
      for (const s of suppressions.due(all)) await summarise(s);
    },
    fired: (): number => fired,
  };
}
export type FiringWriter = ReturnType<typeof createFiringWriter>;
