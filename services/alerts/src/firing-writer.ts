import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { formatMicros, formatMillis, type Rule } from '@tickdesk/schemas';
import { alertBody } from './alert-message.js';
import type { AlertLimits, Capped } from './alert-limits.js';
import type { AlertsMetrics } from './alerts-metrics.js';
import { applyCross, firingTick } from './cross-alert.js';
import { alertContent } from './delivery.js';
import { defined } from './defined.js';
import { AlertsError } from './errors.js';
import type { FlapControl } from './flap-control.js';
import type { StampedFiring } from './firing-ingest.js';
import type { AlertStore, AuditChain, CreateGuard, RuleStore, StoredAlert } from './store/index.js';
import type { SuppressionLedger, SuppressionSummary } from './suppression-ledger.js';

const NEVER = 8_640_000_000_000_000;

/** Deterministic: evaluating the same tick again (after a crash) yields the same alert, which the outbox already has. */
export const alertId = (rule: Rule, symbol: string, seq: number): string =>
  `a${createHash('sha256').update(`${rule.id}|${rule.version}|${symbol}|${seq}`).digest('hex').slice(0, 24)}`;

/** A firing over a cap, kept until its suppressed alert and record are written: a retry after a Redis error keeps it. */
type Refusal = Capped & { counted: boolean };

export interface FiringWriterDeps {
  redis: Redis;
  alerts: AlertStore;
  audit: AuditChain;
  rules: RuleStore;
  limits: AlertLimits;
  suppressions: SuppressionLedger;
  metrics: AlertsMetrics;
  /** The active rule by id (rule sync), and forgetting a once rule that fired. */
  ruleOf: (id: string) => Rule | undefined;
  forget: (id: string) => void;
  /** Hash of rule id → event time (µs) of its last firing, for cooldowns after a restart. */
  firedKey: string;
  now: () => number;
  /** Per-rule firing limit, minimum gap and grouping (flap-control.ts); absent: none. */
  flap?: FlapControl;
}

/**
 * Turns a firing into an alert in the outbox, with its `fired` audit record, before
 * anything is sent. The outbox's create script refuses, atomically with the write: a once
 * rule that already has an alert (so it fires once across kills and engines), and a firing
 * of a repeating rule (every-time, once-per-bar) over a rate cap (alert-limits.ts). Such a
 * firing is never sent: the first of its cap key is stored as `suppressed` (audited with
 * the cap, visible in the alert history), later ones are counted and summarised
 * (suppression-ledger.ts).
 */
export function createFiringWriter({
  redis,
  alerts,
  audit,
  rules,
  limits,
  suppressions,
  metrics,
  ruleOf,
  forget,
  firedKey,
  now,
  flap,
}: FiringWriterDeps) {
  /** Refusals of firings whose suppressed alert or record is not yet in Redis: written again after a Redis error. */
  const refusals = new Map<string, Refusal>();
  /**
   * Alerts this process stored (or may have: the write failed after Redis ran it, e.g. not
   * acknowledged by a replica) whose audit record is not yet acknowledged: a retry that finds
   * the alert stored goes on to its record instead of taking it for an earlier process's.
   */
  const unaudited = new Set<string>();
  let fired = 0;

  function alertOf(rule: Rule, f: StampedFiring, id: string, firedAt: string, suppressed?: string): StoredAlert {
    const alert: StoredAlert = {
      id,
      ruleId: rule.id,
      owner: rule.owner,
      recipient: rule.recipient ?? rule.owner,
      symbol: f.symbol,
      condition: rule.condition,
      price: f.price,
      tickSeq: f.seq,
      eventTime: formatMicros(f.eventMicros),
      firedAt,
      priority: rule.priority,
      ...defined({
        addressee: rule.recipient,
        backup: rule.backup,
        threshold: rule.threshold,
        lower: rule.lower,
        upper: rule.upper,
        amount: rule.amount,
        windowSeconds: rule.windowSeconds,
        previousPrice: f.previousPrice,
        reference: f.reference,
        message: rule.message,
        ingestTime: f.ingestMicros === undefined ? undefined : formatMicros(f.ingestMicros),
      }),
      body: '',
      state: suppressed ? 'suppressed' : 'pending',
      attempts: 0,
      nextActionAt: suppressed ? NEVER : now(),
      lifecycle: [
        suppressed ? { event: 'suppressed', at: firedAt, detail: suppressed } : { event: 'fired', at: firedAt },
      ],
    };
    applyCross(alert, rule, f);
    alert.body = alertBody(alertContent(alert));
    return alert;
  }

  function done(id: string): void {
    unaudited.delete(id);
    refusals.delete(id);
  }

  /**
   * `token`: the instrument's lease token (several engines); a write it cannot make throws
   * TICKDESK_ALERTS_FENCED. `ready`: called with the alert once it is in the outbox, and
   * `recorded`, which resolves once its `fired` record is in the chain: nothing may be sent
   * before. For a once rule that is before the record (and its status write) lands.
   */
  async function persist(
    f: StampedFiring,
    token?: number,
    ready?: (alert: StoredAlert, recorded: Promise<void>) => void,
  ): Promise<StoredAlert | undefined> {
    const rule = ruleOf(f.ruleId);
    if (!rule) return undefined;
    const firedAt = formatMillis(now());
    const id = alertId(rule, firingTick(f), f.seq);
    const retry = unaudited.has(id);
    unaudited.add(id);
    const fence = token === undefined ? {} : { token };
    let refusal = refusals.get(id);
    if (!refusal) {
      // A once rule fires once per rule version: the rule cap and the write limit bound those.
      const guard: CreateGuard = {
        ...fence,
        ...(rule.frequency === 'once' ? { onceVersion: rule.version } : { caps: limits.caps() }),
      };
      let alert = alertOf(rule, f, id, firedAt);
      const next = flap && rule.frequency !== 'once' ? await flap.before(rule, alert, f.eventMicros, fence) : undefined;
      if (next?.kind === 'done') {
        done(id);
        return undefined;
      }
      if (next?.kind === 'open') alert = flap!.asGroup(alert, next.windowMs);
      const [, created] = await Promise.all([
        redis.hset(firedKey, rule.id, String(f.eventMicros)),
        alerts.create(alert, guard),
      ]);
      if (created === 'fenced') {
        done(id);
        throw new AlertsError(
          'TICKDESK_ALERTS_FENCED',
          `${f.symbol}: lease token ${token} is older than another engine's; firing not written`,
        );
      }
      if (created === 'once-fired' || (created === false && !retry)) {
        // Evaluated before a crash (already in the outbox, with its record), or a once rule
        // whose alert another engine or an earlier process stored: its status write may not
        // have landed before a kill, so it is made now, or the rule stays active.
        done(id);
        await retireOnce(rule);
        return undefined;
      }
      if (created === true || created === false) {
        // A retry after a fired record whose acknowledgement failed: written on the primary
        // all the same (and replicated since), it is not appended a second time.
        const recorded = (async () => {
          const inChain = retry && created === false && (await audit.acknowledged(id, 'fired'));
          if (!inChain)
            await audit.append({
              alertId: id,
              trader: rule.owner,
              symbol: f.symbol,
              event: 'fired',
              stanzaHash: '',
              detail: `rule=${rule.id} seq=${f.seq} price=${f.price}`,
            });
        })();
        recorded.catch(() => undefined); // awaited below (and by delivery), which see its failure
        // A once rule's alert is handed over at once: delivery reads and looks up what it needs
        // while the record is appended, and takes no step before it is in (alert-router.ts).
        if (rule.frequency === 'once') ready?.(alert, recorded);
        await recorded;
        fired += 1;
        metrics.fired.inc();
        done(id);
        if (rule.frequency === 'once') {
          // Its status is written while it goes: the outbox's once-fired mark, written with the
          // alert, not the status, keeps the rule from firing twice (retireOnce).
          await retireOnce(rule);
          return alert;
        }
        if (created === true) await flap?.after(rule, alert, f.eventMicros);
        // A group's alert is dispatched too: delivery sends only pending ones (its message goes
        // when its window ends, from the outbox poll), its webhook deliveries are queued for then.
        ready?.(alert, recorded);
        return alert;
      }
      const cap = limits.refused(created === 'capped-rule' ? 'rule' : 'owner');
      await flap?.capped(rule.id, `per-${cap.cap} cap ${cap.limit}/${cap.windowMs / 1000}s`, cap.windowMs);
      const counted =
        suppressions.note(cap, {
          alertId: id,
          ruleId: rule.id,
          trader: rule.owner,
          symbol: f.symbol,
          seq: f.seq,
          price: f.price,
        }) === 'count';
      refusal = { ...cap, counted };
      refusals.set(id, refusal);
    }
    if (refusal.counted) {
      done(id);
      metrics.suppressed.inc({ cap: refusal.cap });
      return undefined;
    }
    const detail = `cap=${refusal.cap} limit=${refusal.limit}/${refusal.windowMs / 1000}s rule=${rule.id} seq=${f.seq} price=${f.price}`;
    if ((await alerts.create(alertOf(rule, f, id, firedAt, detail), fence)) === 'fenced') {
      done(id);
      throw new AlertsError(
        'TICKDESK_ALERTS_FENCED',
        `${f.symbol}: lease token ${token} is older than another engine's; suppressed firing not written`,
      );
    }
    await audit.append({
      alertId: id,
      trader: rule.owner,
      symbol: f.symbol,
      event: 'suppressed',
      stanzaHash: '',
      detail,
    });
    metrics.suppressed.inc({ cap: refusal.cap });
    done(id);
    return undefined;
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
    await audit.append({
      alertId: s.first.alertId,
      trader: s.first.trader,
      symbol: s.first.symbol,
      event: 'suppressed',
      stanzaHash: '',
      detail,
    });
  }

  return {
    persist,
    /** Summaries of counted firings that are due (`all`: every one, on stop). */
    async flushSuppressed(all = false): Promise<void> {
      for (const s of suppressions.due(all)) await summarise(s);
    },
    fired: (): number => fired,
    /** True while `persist` has stored (or is storing) the alert and not yet appended its `fired` record. */
    storing: (alertId: string): boolean => unaudited.has(alertId),
  };
}
export type FiringWriter = ReturnType<typeof createFiringWriter>;
