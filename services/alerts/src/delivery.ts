import type { Logger } from 'pino';
import type { AlertPayload, AlertState, RuleCondition } from '@tickdesk/schemas';
import type { Element, XmppClient } from '@tickdesk/xmpp';
import { alertMessage } from './alert-message.js';
import { createAlertSteps, NEVER, RANK, SOLE, type DeliveryOwnership } from './alert-steps.js';
import type { AlertsMetrics } from './alerts-metrics.js';
import type { AlertsConfig } from './config.js';
import { createConfirmations } from './confirmations.js';
import { defined } from './defined.js';
import type { PresenceTracker } from './presence-tracker.js';
import { decide, receiptTimeout } from './routing.js';
import { OUTBOX_STATES, type AlertStore, type AuditChain, type StoredAlert } from './store/index.js';

export type { DeliveryOwnership } from './alert-steps.js';

/** Why an outstanding alert must not be sent again; `kind` labels the metric, `detail` goes to the audit chain. */
export interface Retirement {
  kind: 'rule-deleted' | 'rule-paused' | 'trader-disabled' | 'backup-disabled';
  detail: string;
}

export interface DeliveryDeps {
  client: XmppClient;
  alerts: AlertStore;
  audit: AuditChain;
  presence: PresenceTracker;
  config: AlertsConfig;
  domain: string;
  log: Logger;
  metrics: AlertsMetrics;
  /** Asked before an alert is sent again (and at start): a reason retires it instead. */
  retirement?: (alert: StoredAlert) => Promise<Retirement | undefined>;
  /** False for a backup who may no longer be told (a disabled account): the owner keeps getting resends. */
  canEscalateTo?: (user: string) => boolean;
  /**
   * Several engines: sends, resends, escalations and holds only for the instruments this
   * engine holds, each step fenced by the lease token; confirmations from any.
   */
  ownership?: DeliveryOwnership;
  /** True while this engine's firing writer stores the alert and has not yet appended its `fired` record. */
  storing?: (alertId: string) => boolean;
  now?: () => number;
}

/**
 * Moves each alert through sent → server-acknowledged (XEP-0198) → delivered
 * (XEP-0184) → displayed / acknowledged (XEP-0333), resending with the same id and
 * escalating to the backup trader when no receipt comes in time. Presence decides
 * when and how (routing.ts: dnd holds normal alerts, offline leaves it to offline storage
 * and tells the backup). Every step goes to the audit chain before it takes effect.
 */
export function createDelivery({
  client,
  alerts,
  audit,
  presence,
  config,
  domain,
  log: parentLog,
  metrics,
  retirement = () => Promise.resolve(undefined),
  canEscalateTo = () => true,
  ownership = SOLE,
  storing = () => false,
  now = Date.now,
}: DeliveryDeps) {
  const log = parentLog.child({ component: 'delivery' });
  const jid = (user: string) => `${user}@${domain}`;
  const sentStanzas = new WeakMap<Element, string>();
  let pollTimer: NodeJS.Timeout | undefined;
  let polling = false;
  const steps = createAlertSteps({ alerts, audit, metrics, ownership, log, now });
  const { withFresh, record } = steps;
  const confirmations = createConfirmations({ client, alerts, steps, metrics, ownership, domain, log, sentStanzas });
  const timeoutFor = (trader: string) => receiptTimeout(presence.get(trader), config);

  async function send(
    alert: StoredAlert,
    to: string,
    event: 'sent' | 'resent' | 'escalated',
    due: number,
  ): Promise<StoredAlert | undefined> {
    const nextActionAt = Math.min(due, Date.parse(alert.firedAt) + config.alertTtlMs);
    const stanza = alertMessage(alertContent(alert), jid(to));
    const state: AlertState = RANK[alert.state] >= RANK.sent ? alert.state : 'sent';
    const detail =
      event === 'escalated' ? `to=${to}` : event === 'resent' ? `attempt=${alert.attempts + 1} to=${to}` : `to=${to}`;
    const updated = await record(
      alert,
      event,
      { state, attempts: alert.attempts + 1, nextActionAt, recipient: to },
      detail,
      stanza,
    );
    if (!updated) return undefined; // fenced out or not held: the instrument's holder sends
    sentStanzas.set(stanza, alert.id);
    await client
      .send(stanza)
      .catch((err: Error) => log.warn({ alert: alert.id, err }, 'send failed; the outbox retries'));
    return updated;
  }

  /** No more resends or escalation; recorded with the reason. Only an alert still in the outbox is retired. */
  async function retire(alert: StoredAlert, why: Retirement): Promise<void> {
    if (!OUTBOX_STATES.includes(alert.state)) return;
    await record(alert, 'retired', { state: 'retired', nextActionAt: NEVER }, why.detail);
    metrics.retired.inc({ reason: why.kind });
  }

  const escalatable = (alert: StoredAlert): alert is StoredAlert & { backup: string } =>
    alert.backup !== undefined && canEscalateTo(alert.backup);

  /** Route a new (or released, or recovered) alert by its owner's presence (routing.ts decides). */
  async function route(alert: StoredAlert): Promise<void> {
    const action = decide(
      { state: alert.state, priority: alert.priority, escalatable: escalatable(alert) },
      presence.get(alert.owner),
      config,
      now(),
    );
    if (action.kind === 'hold') {
      await record(alert, 'held', { state: 'held', nextActionAt: NEVER }, 'dnd');
    } else if (action.kind === 'send' || action.kind === 'send-and-escalate') {
      const sent = await send(alert, alert.owner, 'sent', action.due);
      if (action.kind === 'send-and-escalate' && escalatable(alert) && sent)
        await send(sent, alert.backup, 'escalated', action.due);
    }
  }

  /** A held alert whose owner left dnd: released and routed again. */
  async function release(held: StoredAlert): Promise<void> {
    const p = presence.get(held.owner);
    if (
      decide({ state: held.state, priority: held.priority, escalatable: escalatable(held) }, p, config, now()).kind !==
      'release'
    )
      return;
    const released = await record(held, 'released', { state: 'pending', nextActionAt: now() }, `presence=${p.show}`);
    if (released) await route(released);
  }

  /**
   * A never-sent alert this engine did not just store may lack its `fired` record: the engine
   * that stored it was killed between the outbox write and the audit append (two slots, two
   * writes). Written before the first send, so the chain never shows an alert sent that never fired.
   */
  async function ensureFired(alert: StoredAlert): Promise<void> {
    if (alert.attempts > 0 || storing(alert.id) || !ownership.owns(alert.symbol)) return;
    if ((await audit.range({ alertId: alert.id, limit: 1 })).length > 0) return;
    await audit.append({
      alertId: alert.id,
      trader: alert.owner,
      symbol: alert.symbol,
      event: 'fired',
      stanzaHash: '',
      detail: `rule=${alert.ruleId} seq=${alert.tickSeq} price=${alert.price}`,
    });
    log.warn(
      { alert: alert.id, symbol: alert.symbol },
      'fired record missing (its engine stopped before writing it): written before the first send',
    );
  }

  /** An alert whose time has come: resend, escalate, or keep retrying. */
  async function onDue(alert: StoredAlert): Promise<void> {
    if (RANK[alert.state] >= RANK.delivered || alert.state === 'held') return;
    const why = await retirement(alert);
    if (why) return retire(alert, why);
    if (alert.state === 'pending') return ensureFired(alert).then(() => route(alert));
    const t = now();
    if (t - Date.parse(alert.firedAt) >= config.alertTtlMs) {
      await record(
        alert,
        'expired',
        { state: 'expired', nextActionAt: NEVER },
        `unconfirmed after ${Math.round(config.alertTtlMs / 1000)}s`,
      );
      return;
    }
    const escalated = alert.recipient !== alert.owner;
    if (!escalated && alert.attempts <= config.resends) {
      await send(alert, alert.owner, 'resent', t + timeoutFor(alert.owner));
    } else if (!escalated && escalatable(alert)) {
      await send(alert, alert.backup, 'escalated', t + config.retryAfterEscalationMs);
    } else {
      const k = Math.min(4, Math.max(0, alert.attempts - config.resends - 1));
      await send(alert, alert.recipient, 'resent', t + config.retryAfterEscalationMs * 2 ** k);
    }
  }

  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      for (;;) {
        const due = await alerts.due(now(), 200);
        // Several engines: each takes the due alerts of the instruments it holds.
        const mine = due.filter((a) => ownership.owns(a.symbol));
        await Promise.all(
          mine.map((a) =>
            withFresh(a.id, async (fresh) => {
              if (fresh.nextActionAt <= now()) await onDue(fresh);
            }),
          ),
        );
        if (due.length < 200 || mine.length === 0) break;
      }
    } catch (err) {
      log.warn({ err }, 'outbox poll failed');
    } finally {
      polling = false;
    }
  }

  function onPresence(current: { trader: string; show: string }, previous: { show: string }) {
    if (previous.show === 'offline' && current.show !== 'offline' && current.show !== 'dnd')
      resendAll([current.trader]);
    if (previous.show !== 'dnd' || current.show === 'dnd') return;
    void alerts
      .heldFor(current.trader)
      .then((held) => Promise.all(held.filter((a) => ownership.owns(a.symbol)).map((a) => withFresh(a.id, release))))
      .catch((err: Error) => log.warn({ err }, 'releasing held alerts failed'));
  }

  /**
   * Alerts sent to `trader` and not confirmed, whose next step is still ahead: sent into a
   * session that is gone (the trader's or ours, after a server restart), so they go again now
   * that the trader is reachable, instead of waiting for the backoff. The schedule stays.
   */
  async function resendTo(trader: string): Promise<void> {
    const waiting = (a: StoredAlert) =>
      ownership.owns(a.symbol) &&
      a.recipient === trader &&
      (a.state === 'sent' || a.state === 'server-acked' || a.state === 'escalated') &&
      a.nextActionAt > now();
    const pendingFor: StoredAlert[] = [];
    for await (const alert of alerts.outstanding()) if (waiting(alert)) pendingFor.push(alert);
    await Promise.all(
      pendingFor.map((a) =>
        withFresh(a.id, async (fresh) => {
          if (!waiting(fresh) || (await retirement(fresh))) return;
          await send(fresh, trader, 'resent', fresh.nextActionAt);
        }),
      ),
    );
  }

  const resendAll = (traders: readonly string[]) =>
    void Promise.all(traders.map(resendTo)).catch((err: Error) =>
      log.warn({ err }, 'resending unconfirmed alerts failed'),
    );

  function onResynced(available: string[]) {
    resendAll(available);
  }

  return {
    /** Send a freshly fired alert (already in the outbox). */
    dispatch: (alert: StoredAlert): Promise<void> =>
      withFresh(alert.id, (a) => (a.state === 'pending' ? route(a) : Promise.resolve())),
    start(): void {
      confirmations.start();
      presence.on('change', onPresence);
      presence.on('resynced', onResynced);
      pollTimer = setInterval(() => void poll(), config.pollMs);
    },
    /**
     * Retire the outstanding alerts `match` gives a reason for (a rule deleted or paused,
     * a trader disabled), each after its earlier steps. One pass over the outbox.
     */
    async retireWhere(match: (alert: StoredAlert) => Retirement | undefined): Promise<number> {
      let n = 0;
      for await (const alert of alerts.outstanding()) {
        if (!ownership.owns(alert.symbol) || !match(alert)) continue;
        await withFresh(alert.id, async (fresh) => {
          const why = match(fresh);
          if (!why || !OUTBOX_STATES.includes(fresh.state)) return;
          await retire(fresh, why);
          n += 1;
        });
      }
      return n;
    },
    /** Pick up what a previous run left: alerts whose rule went while it was down are retired; alerts fired but never sent, and held ones whose trader is back, go. */
    async resume(): Promise<number> {
      let n = 0;
      for await (const alert of alerts.outstanding()) {
        if (!ownership.owns(alert.symbol)) continue;
        const why = await retirement(alert);
        if (why) {
          await withFresh(alert.id, (fresh) => retire(fresh, why));
          continue;
        }
        if (alert.state !== 'pending' && alert.state !== 'held') continue;
        n += 1;
        await withFresh(alert.id, async (fresh) => {
          if (fresh.state === 'pending') return ensureFired(fresh).then(() => route(fresh));
          if (fresh.state === 'held') await release(fresh);
        });
      }
      return n;
    },
    async stop(): Promise<void> {
      clearInterval(pollTimer);
      confirmations.stop();
      presence.off('change', onPresence);
      presence.off('resynced', onResynced);
      await steps.idle();
    },
  };
}
export type Delivery = ReturnType<typeof createDelivery>;

/** The payload fields of a stored alert. */
export function alertContent(a: StoredAlert): AlertPayload {
  return {
    id: a.id,
    rule: a.ruleId,
    symbol: a.symbol,
    condition: a.condition as RuleCondition,
    price: a.price,
    seq: a.tickSeq,
    eventTime: a.eventTime,
    firedAt: a.firedAt,
    priority: a.priority,
    ...defined({
      threshold: a.threshold,
      lower: a.lower,
      upper: a.upper,
      amount: a.amount,
      windowSeconds: a.windowSeconds,
      previousPrice: a.previousPrice,
      reference: a.reference,
      message: a.message,
    }),
  };
}
