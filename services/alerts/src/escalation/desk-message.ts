import type { Element } from '@tickdesk/xmpp';
import { alertContent } from '../alert-content.js';
import { alertBody, alertMessage } from '../alert-message.js';
import { addresseeOf } from '../desk-user.js';
import type { StoredAlert } from '../store/index.js';

/**
 * The desk-wide "nobody acknowledged" alert: the alert's own message (same id, payload,
 * receipt request and markable, so a receipt or marker names the alert), its body saying
 * who did not acknowledge it.
 */
export function deskMessage(alert: StoredAlert, to: string, afterSeconds: number): Element {
  const content = alertContent(alert);
  const stanza = alertMessage(content, to);
  const body = stanza.getChild('body');
  if (body)
    body.children = [
      `NOBODY ACKNOWLEDGED (${addresseeOf(alert)}, ${afterSeconds}s after it fired): ${alertBody(content)}`,
    ];
  return stanza;
}
