import type { Logger } from 'pino';
import type { AlertState } from '@tickdesk/schemas';
import { jidLocal, parseMarker, parseReceipt, type Element, type XmppClient } from '@tickdesk/xmpp';
import type { AlertsMetrics } from './alerts-metrics.js';
import { NEVER, RANK, type AlertSteps, type DeliveryOwnership } from './alert-steps.js';
import { addresseeOf, deskTrader } from './desk-user.js';
import { deskNotified } from './escalation/escalation-progress.js';
import type { AlertStore } from './store/index.js';

export interface ConfirmationsDeps {
  client: XmppClient;
  alerts: AlertStore;
  steps: AlertSteps;
  metrics: AlertsMetrics;
  ownership: DeliveryOwnership;
  domain: string;
  /** Partner desks' domains: their traders confirm by bare JID (a rule's remote recipient or backup). */
  peers?: ReadonlySet<string>;
  log: Logger;
  /** The alert id of each alert stanza this engine sent (for the server's XEP-0198 ack). */
  sentStanzas: WeakMap<Element, string>;
}

/**
 * What comes back for a sent alert: the server's ack (XEP-0198), the recipient's receipt
 * (XEP-0184) and chat markers (XEP-0333), each recorded as a step of the alert.
 */
export function createConfirmations({
  client,
  alerts,
  steps,
  metrics,
  ownership,
  domain,
  peers = new Set<string>(),
  log,
  sentStanzas,
}: ConfirmationsDeps) {
  const { serial, withFresh, record } = steps;

  /**
   * A receipt or marker counts only from the alert's addressee (its owner unless the rule names
   * a recipient), or its backup once told (DESIGN "Contracts"): the bare `from`, a partner's
   * trader's included, must be that trader's bare JID.
   */
  async function confirm(
    fromJid: string,
    id: string,
    event: 'delivered' | 'displayed' | 'acknowledged',
    stanza: Element,
  ): Promise<void> {
    const user = deskTrader(fromJid, domain, peers)?.trader;
    const alert = await alerts.get(id);
    if (!alert) {
      metrics.ignored.inc({ reason: 'unknown-alert' });
      log.info({ from: fromJid, id, event }, 'confirmation for an unknown alert ignored');
      return;
    }
    // Not addressed to this engine's full JID: sent to the bare JID (the dashboard's markers for
    // alerts from history), which the server may hand to every engine, or to an engine that has
    // gone (RFC 6121 §8.5.3.2.1). The engine holding the instrument records it, once.
    if (String(stanza.attrs.to ?? '') !== client.jid() && !ownership.owns(alert.symbol)) return;
    // An escalation chain's desk-wide step told more traders: theirs count too (escalation/).
    const allowed =
      user !== undefined &&
      (user === addresseeOf(alert) ||
        (user === alert.recipient && alert.recipient === alert.backup) ||
        deskNotified(alert.lifecycle).has(user));
    if (!allowed) {
      metrics.ignored.inc({ reason: 'not-the-recipient' });
      log.warn(
        { from: fromJid, id, event, addressee: addresseeOf(alert) },
        'confirmation from a JID that is not the recipient ignored',
      );
      return;
    }
    if (alert.lifecycle.some((s) => s.event === event)) {
      metrics.ignored.inc({ reason: 'repeated' });
      return;
    }
    const state: AlertState = RANK[event] > RANK[alert.state] ? event : alert.state;
    const delivered = RANK[state] >= RANK.delivered;
    // Delivered before: a displayed marker implies delivery (XEP-0333 §4), so record that too.
    if (event !== 'delivered' && !alert.lifecycle.some((s) => s.event === 'delivered')) {
      await record(
        alert,
        'delivered',
        { state: 'delivered', nextActionAt: NEVER },
        `by=${user} implied by ${event}`,
        stanza,
      );
    }
    await record(alert, event, { state, ...(delivered ? { nextActionAt: NEVER } : {}) }, `by=${user}`, stanza);
  }

  function onStanza(stanza: Element) {
    if (stanza.name !== 'message') return;
    const receipt = parseReceipt(stanza);
    if (receipt) {
      void serial(receipt.id, () => confirm(receipt.from, receipt.id, 'delivered', stanza)).catch((err: Error) =>
        log.warn({ err }, 'receipt handling failed'),
      );
      return;
    }
    const marker = parseMarker(stanza);
    if (marker) {
      const event = marker.marker === 'received' ? 'delivered' : marker.marker;
      void serial(marker.id, () => confirm(marker.from, marker.id, event, stanza)).catch((err: Error) =>
        log.warn({ err }, 'marker handling failed'),
      );
    }
  }

  function onServerAck(stanza: Element) {
    const id = sentStanzas.get(stanza);
    if (!id) return;
    void withFresh(id, async (alert) => {
      const state: AlertState = RANK[alert.state] < RANK['server-acked'] ? 'server-acked' : alert.state;
      const to = String(stanza.attrs.to ?? '');
      await record(alert, 'server-acked', { state }, `to=${deskTrader(to, domain, peers)?.trader ?? jidLocal(to)}`);
    }).catch((err: Error) => log.warn({ err }, 'server ack handling failed'));
  }

  return {
    start(): void {
      client.on('stanza', onStanza);
      client.streamManagement.on('ack', onServerAck);
    },
    stop(): void {
      client.off('stanza', onStanza);
      client.streamManagement.off('ack', onServerAck);
    },
  };
}
