import type { Logger } from 'pino';
import type { Client } from '@xmpp/client-core';
import type { Element } from '@xmpp/xml';
import { XmppError } from './errors.js';
import { NS } from './namespaces.js';
import { sanitizeElement } from './xml-safe.js';

const STANZAS = new Set(['message', 'presence', 'iq']);
const isBindRequest = (el: Element): boolean => el.name === 'iq' && el.getChild('bind', NS.bind) !== undefined;

/**
 * Every element leaves through entity.send (IQ replies of the middleware, the IQ caller,
 * stream management): a character XML 1.0 forbids becomes U+FFFD there, so no text that
 * slipped past a boundary check can make the server close the stream (RFC 6120 §4.9.3.13).
 * Returns the count of characters replaced since.
 */
export function guardSend({ entity, log }: { entity: Client; log: Logger }): () => number {
  let replaced = 0;
  const rawSend = entity.send.bind(entity);
  entity.send = (element: Element, ...rest: unknown[]) => {
    // Before the session is online only negotiation goes out (RFC 6120 §6.4.2, §7): a
    // stanza written while reconnecting would reach the server before STARTTLS or SASL,
    // and ejabberd closes such a stream with <policy-violation/>, again on every retry.
    if (STANZAS.has(element.name) && entity.status !== 'online' && !isBindRequest(element)) {
      return Promise.reject(
        new XmppError(
          'TICKDESK_XMPP_NOT_CONNECTED',
          `not connected: ${element.name} to ${String(element.attrs.to ?? 'the server')} not sent`,
        ),
      );
    }
    const n = sanitizeElement(element);
    if (n > 0) {
      replaced += n;
      log.warn(
        { replaced: n, stanza: element.name, id: element.attrs.id, to: element.attrs.to },
        'replaced characters XML 1.0 forbids before sending',
      );
    }
    return rawSend(element, ...rest);
  };
  return () => replaced;
}
