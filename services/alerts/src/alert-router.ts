import type { Logger } from 'pino';
import type { AlertState } from '@tickdesk/schemas';
import type { Silence } from '@tickdesk/schemas/rest';
import type { Element, XmppClient } from '@tickdesk/xmpp';
import { alertContent } from './alert-content.js';
import { alertMessage } from './alert-message.js';
import { NEVER, RANK, type AlertSteps } from './alert-steps.js';
import type { AlertsConfig } from './config.js';
import type { PresenceTracker } from './presence-tracker.js';
import { addresseeOf, traderJid } from './desk-user.js';
import { decide } from './routing.js';
import { silenceOfHold } from './silences/silence-hold.js';
import type { StoredAlert } from './store/index.js';

export interface AlertRouterDeps {
  client: XmppClient;
  steps: AlertSteps;
  presence: PresenceTracker;
  config: AlertsConfig;
  domain: string;
  log: Logger;
  /** False for a backup who may no longer be told (a disabled account). */
  canEscalateTo: (user: string) => boolean;
  /** Filled with the alert id of each stanza sent, for the server's XEP-0198 ack (confirmations.ts). */
  sentStanzas: WeakMap<Element, string>;
  now: () => number;
  /**
   * Escalation chains (escalation/): fixes the alert's chain as it is routed and says whether
   * it has one; with one, the chain, not presence or resends, decides when the backup is told.
   */
  chains?: { begin: (alert: StoredAlert) => Promise<boolean>; has: (alertId: string) => Promise<boolean> };
  /**
   * Holds the alert when a silence of its addressee covers it (silences/silence-hold.ts): true
   * when held. `found`: the lookup already under way, else it looks.
   */
  silenced?: (alert: StoredAlert, found?: Promise<Silence | undefined>) => Promise<boolean>;
}

/** Work begun with a new alert's fresh read, so that its round trips overlap (delivery.ts). */
interface RouteWith {
  /** Must land before any step of the alert is recorded: its webhook deliveries queued (a crash loses none). */
  before?: Promise<unknown>;
  /** The covering silence, looked up already. */
  cover?: Promise<Silence | undefined>;
}

/**
 * Sends an alert to a trader as one of its steps (recorded before the stanza goes), and
 * routes a new or released alert by its owner's presence as routing.ts decides.
 */
export function createAlertRouter({
  client,
  steps,
  presence,
  config,
  domain,
  log,
  canEscalateTo,
  sentStanzas,
  now,
  chains,
  silenced = () => Promise.resolve(false),
}: AlertRouterDeps) {
  const { record } = steps;

  async function send(
    alert: StoredAlert,
    to: string,
    event: 'sent' | 'resent' | 'escalated',
    due: number,
    /** The record's detail instead of `to=…` (an escalation chain's hop). */
    hop?: string,
  ): Promise<StoredAlert | undefined> {
    const nextActionAt = Math.min(due, Date.parse(alert.firedAt) + config.alertTtlMs);
    const stanza = alertMessage(alertContent(alert), traderJid(to, domain), undefined, alert.group);
    const state: AlertState = RANK[alert.state] >= RANK.sent ? alert.state : 'sent';
    const detail =
      hop ??
      (event === 'escalated' ? `to=${to}` : event === 'resent' ? `attempt=${alert.attempts + 1} to=${to}` : `to=${to}`);
    let sending: Promise<void> | undefined;
    const go = () => {
      sentStanzas.set(stanza, alert.id);
      sending = client
        .send(stanza)
        .catch((err: Error) => log.warn({ alert: alert.id, err }, 'send failed; the outbox retries'));
    };
    // One engine: the stanza goes once its audit record is in, beside the outbox write (a crash
    // between the two resends it with the same id); with leases, once the fenced write is taken.
    const updated = await record(
      alert,
      event,
      { state, attempts: alert.attempts + 1, nextActionAt, recipient: to },
      detail,
      stanza,
      go,
    );
    if (!updated && !sending) return undefined; // fenced out or not held: the instrument's holder sends
    if (!sending) go();
    await sending;
    return updated;
  }

  const escalatable = (alert: StoredAlert): alert is StoredAlert & { backup: string } =>
    alert.backup !== undefined && canEscalateTo(alert.backup);

  /**
   * Route a new (or released, or recovered) alert by its addressee's presence (routing.ts
   * decides): the owner, or the rule's recipient, a partner desk's trader as for a local one.
   */
  async function route(alert: StoredAlert, { before, cover }: RouteWith = {}): Promise<void> {
    cover?.catch(() => undefined); // awaited below, unless `before` failed
    await before;
    if (await silenced(alert, cover)) return;
    const action = decide(
      { state: alert.state, priority: alert.priority, escalatable: escalatable(alert) },
      presence.get(addresseeOf(alert)),
      config,
      now(),
    );
    if (action.kind === 'hold') {
      await record(alert, 'held', { state: 'held', nextActionAt: NEVER }, 'dnd');
    } else if (action.kind === 'send' || action.kind === 'send-and-escalate') {
      const sent = await send(alert, addresseeOf(alert), 'sent', action.due);
      // Its escalation chain looked up once the message is out: a chain costs the first send
      // nothing. A held alert begins its chain when it is released and routed again.
      const walksChain = chains ? await chains.begin(alert) : false;
      if (action.kind === 'send-and-escalate' && escalatable(alert) && !walksChain && sent)
        await send(sent, alert.backup, 'escalated', action.due);
    }
  }

  /** A held alert whose addressee left dnd: released and routed again. */
  async function release(held: StoredAlert): Promise<void> {
    if (silenceOfHold(held)) return; // held by a silence: it goes at the silence's end
    const p = presence.get(addresseeOf(held));
    if (
      decide({ state: held.state, priority: held.priority, escalatable: escalatable(held) }, p, config, now()).kind !==
      'release'
    )
      return;
    const released = await record(held, 'released', { state: 'pending', nextActionAt: now() }, `presence=${p.show}`);
    if (released) await route(released);
  }

  /** Whether the alert walks an escalation chain (which then decides when the backup is told). */
  const chained = (alertId: string): Promise<boolean> => (chains ? chains.has(alertId) : Promise.resolve(false));

  return { send, escalatable, route, release, chained };
}
export type AlertRouter = ReturnType<typeof createAlertRouter>;
