import { decodeAlert, NS_ALERT, type AlertPayload } from '@tickdesk/schemas';
import { isMarkable, wantsReceipt, type Element } from '@tickdesk/xmpp/browser';
import { bareJid } from '../jid.js';

export type AlertMessage =
  | { kind: 'alert'; alert: AlertPayload; from: string; wantsReceipt: boolean; markable: boolean; body: string }
  | { kind: 'malformed'; from: string; id: string | undefined; reason: string }
  | { kind: 'other' };

/**
 * An alert chat message (docs/alerts-protocol.md §2): from the alerts account, type chat,
 * with a `{urn:tickdesk:alert:0}alert` payload whose id is the message id. Anything
 * else from the engine with an alert payload is malformed; other messages are not ours.
 */
export function readAlertMessage(stanza: Element, alertsJid: string): AlertMessage {
  if (stanza.name !== 'message' || stanza.attrs.type === 'error') return { kind: 'other' };
  const from = stanza.attrs.from as string | undefined;
  const payload = stanza.getChild('alert', NS_ALERT);
  if (!from || !payload || bareJid(from) !== alertsJid) return { kind: 'other' };
  const id = stanza.attrs.id as string | undefined;
  const decoded = decodeAlert(payload);
  if (!decoded.ok) return { kind: 'malformed', from, id, reason: decoded.reason };
  if (decoded.value.id !== id) return { kind: 'malformed', from, id, reason: 'the message id is not the alert id' };
  if (stanza.attrs.type !== 'chat') return { kind: 'malformed', from, id, reason: 'an alert must be a chat message' };
  return {
    kind: 'alert',
    alert: decoded.value,
    from,
    wantsReceipt: wantsReceipt(stanza),
    markable: isMarkable(stanza),
    body: stanza.getChildText('body') ?? '',
  };
}
