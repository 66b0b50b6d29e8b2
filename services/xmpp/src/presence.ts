import xml, { type Element } from '@xmpp/xml';
import { safeXmlText } from './xml-safe.js';

// RFC 6121 §4: presence. `show` absent means available.
export type Show = 'available' | 'away' | 'xa' | 'dnd' | 'chat' | 'unavailable';
export interface PresenceInfo {
  from: string;
  show: Show;
  status?: string;
  priority: number;
}

export function presence(show: Show = 'available', status?: string, priority = 0): Element {
  const el = show === 'unavailable' ? xml('presence', { type: 'unavailable' }) : xml('presence', {});
  if (show !== 'available' && show !== 'unavailable') el.append(xml('show', {}, show));
  // A status is typed by a person (the dashboard's box): never a character XML 1.0 forbids.
  if (status) el.append(xml('status', {}, safeXmlText(status)));
  if (show !== 'unavailable') el.append(xml('priority', {}, String(priority)));
  return el;
}

/** A subscription request, approval, or cancellation (RFC 6121 §3). */
export const presenceSubscription = (
  to: string,
  type: 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed',
): Element => xml('presence', { to, type });

/** Availability presence only; subscription and error presence return undefined. */
export function parsePresence(stanza: Element): PresenceInfo | undefined {
  if (stanza.name !== 'presence') return undefined;
  const type = stanza.attrs.type as string | undefined;
  const from = stanza.attrs.from as string | undefined;
  if (!from || (type && type !== 'unavailable')) return undefined;
  const showText = stanza.getChildText('show');
  const show: Show =
    type === 'unavailable'
      ? 'unavailable'
      : showText && ['away', 'xa', 'dnd', 'chat'].includes(showText)
        ? (showText as Show)
        : 'available';
  const status = stanza.getChildText('status') ?? undefined;
  const priority = Number(stanza.getChildText('priority') ?? 0) || 0;
  return { from, show, ...(status ? { status } : {}), priority };
}
