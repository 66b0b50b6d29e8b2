import type { Logger } from 'pino';
import { formatMillis, type Rule } from '@tickdesk/schemas';
import { alertBody } from './alert-message.js';
import { alertContent } from './alert-content.js';
import type { AlertsMetrics } from './alerts-metrics.js';
import { NEVER } from './alert-steps.js';
import { AlertsError } from './errors.js';
import { decideFlap, type FlapVerdict } from './flap-decision.js';
import { createFiringLimit } from './firing-limit.js';
import { withFiring } from './firing-group.js';
import type { AlertStore, AuditChain, FlapStore, RuleStore, StoredAlert } from './store/index.js';

export interface FlapControlDeps {
  flap: FlapStore;
  alerts: AlertStore;
  audit: AuditChain;
  rules: Pick<RuleStore, 'setStatus'>;
  metrics: AlertsMetrics;
  log: Logger;
  /** The rule leaves this engine's index (it paused itself). */
  forget: (ruleId: string) => void;
  /** A chat message to a desk trader (their bare JID). */
  tell: (trader: string, text: string) => Promise<void>;
  now: () => number;
}

/** What the firing writer does next with a firing flap control looked at. */
export type FlapNext = { kind: 'done' } | { kind: 'send' } | { kind: 'open'; windowMs: number };

const hasFlap = (r: Rule): boolean =>
  r.frequency !== 'once' &&
  (r.maxFirings !== undefined || r.minGapSeconds !== undefined || r.groupWindowSeconds !== undefined);

/**
 * Per-rule flap control on the firing path (docs/alerts-protocol.md "Flap control"): the
 * firing limit (the rule pauses itself after maxFirings, says so in the audit chain and to
 * its owner in chat), the minimum gap (a firing too soon after the last one let through is
 * stored and audited as suppressed) and grouping (firings within a window go out as one
 * message, its first firing's alert, listing them; the others are stored as grouped into
 * it). Its state is in Redis (flap-store.ts), so a restarted engine, or the one that takes
 * an instrument over, goes on with the same count, gap and open group.
 */
export function createFlapControl({ flap, alerts, audit, rules, metrics, log, forget, tell, now }: FlapControlDeps) {
  const pauseAtLimit = createFiringLimit({ audit, rules, metrics, log, forget, tell, now });
  const fenced = (a: StoredAlert) =>
    new AlertsError(
      'TICKDESK_ALERTS_FENCED',
      `${a.symbol}: lease token is older than another engine's; ${a.id} not written`,
    );

  /** A firing stored but not sent (suppressed or grouped), with its audit record once. */
  async function storeHeld(a: StoredAlert, fence: { token?: number }, detail: string): Promise<void> {
    const event = a.state === 'grouped' ? 'grouped' : 'suppressed';
    const step = { event, at: formatMillis(now()), detail } as const;
    const created = await alerts.create({ ...a, state: a.state, nextActionAt: NEVER, lifecycle: [step] }, fence);
    if (created === 'fenced') throw fenced(a);
    if (created === false && (await audit.acknowledged(a.id, event))) return;
    await audit.append({ alertId: a.id, trader: a.owner, symbol: a.symbol, event, stanzaHash: '', detail });
  }

  /** The alert as its rule's group message: sent when the window ends, listing its firings. */
  function asGroup(a: StoredAlert, windowMs: number): StoredAlert {
    const until = formatMillis(now() + windowMs);
    const group = { until, firings: [{ id: a.id, price: a.price, eventTime: a.eventTime }] };
    return { ...a, state: 'grouping', nextActionAt: now() + windowMs, group, body: alertBody(alertContent(a), group) };
  }

  async function join(
    rule: Rule,
    a: StoredAlert,
    v: Extract<FlapVerdict, { kind: 'join' }>,
    fence: { token?: number },
  ) {
    const joined = await flap.joinGroup(v.into, (lead) =>
      lead.group && lead.nextActionAt > now()
        ? (() => {
            const group = withFiring(lead.group, { id: a.id, price: a.price, eventTime: a.eventTime });
            return { ...lead, group, body: alertBody(alertContent(lead), group) };
          })()
        : undefined,
    );
    if (joined === 'closed') return false;
    const detail = `into=${v.into} rule=${rule.id} seq=${a.tickSeq} price=${a.price}`;
    await storeHeld({ ...a, state: 'grouped' }, fence, detail);
    await flap.grew(rule.id);
    metrics.steps.inc({ event: 'grouped' });
    return true;
  }

  /** Counts a firing let through and pauses the rule at its limit: audited, and its owner told in chat. */
  async function letThrough(rule: Rule, eventMicros: number): Promise<void> {
    await flap.letThrough(rule.id, eventMicros);
    if (rule.maxFirings === undefined) return;
    const n = await flap.count(rule.id, rule.version);
    if (n >= rule.maxFirings) await pauseAtLimit(rule, n);
  }

  return {
    hasFlap,
    /** Before the firing is written: 'done' when flap control stored it (or dropped it: the rule is spent). */
    async before(rule: Rule, a: StoredAlert, eventMicros: number, fence: { token?: number }): Promise<FlapNext> {
      if (!hasFlap(rule)) return { kind: 'send' };
      const v = decideFlap(rule, await flap.read(rule.id), eventMicros, now());
      if (v.kind === 'spent') {
        await pauseAtLimit(rule, rule.maxFirings ?? 0);
        return { kind: 'done' };
      }
      if (v.kind === 'gap') {
        await storeHeld(
          { ...a, state: 'suppressed' },
          fence,
          `${v.detail} rule=${rule.id} seq=${a.tickSeq} price=${a.price}`,
        );
        await flap.streak(rule.id, 'gap', now(), now() + v.waitMs, `minimum gap ${rule.minGapSeconds}s`);
        metrics.suppressed.inc({ cap: 'min-gap' });
        return { kind: 'done' };
      }
      if (v.kind === 'join') {
        if (await join(rule, a, v, fence)) {
          await letThrough(rule, eventMicros);
          return { kind: 'done' };
        }
        return { kind: 'open', windowMs: v.windowMs };
      }
      return v;
    },
    asGroup,
    /** After the alert was stored (and its `fired` record appended). */
    async after(rule: Rule, a: StoredAlert, eventMicros: number): Promise<void> {
      if (!hasFlap(rule)) return;
      if (a.state === 'grouping' && a.group) {
        await flap.openGroup(rule.id, a.id, a.nextActionAt);
        const detail = `opened window=${rule.groupWindowSeconds}s until=${a.group.until}`;
        await alerts.transition(a.id, {}, { event: 'grouped', at: formatMillis(now()), detail });
        await audit.append({
          alertId: a.id,
          trader: a.owner,
          symbol: a.symbol,
          event: 'grouped',
          stanzaHash: '',
          detail,
        });
      }
      await letThrough(rule, eventMicros);
    },
    /** A firing refused by a rate cap: the rule shows it is limited while the cap's window lasts. */
    capped: (ruleId: string, detail: string, windowMs: number): Promise<unknown> =>
      flap.streak(ruleId, 'cap', now(), now() + windowMs, detail),
  };
}
export type FlapControl = ReturnType<typeof createFlapControl>;
