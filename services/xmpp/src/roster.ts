import xml from '@xmpp/xml';
import type { IQCaller } from './iq-caller.js';
import { bareJid } from './jid.js';
import { NS } from './namespaces.js';

/** A contact's entry in the roster: its presence subscription and whether our request waits (RFC 6121 §2.1.2). */
export interface RosterEntry {
  subscription: 'none' | 'to' | 'from' | 'both';
  /** `ask='subscribe'`: our subscription request is pending (§3.1.2). */
  pending: boolean;
}

const SUBSCRIPTIONS = new Set(['none', 'to', 'from', 'both']);

/** `contact`'s roster entry, read by a roster get (§2.1.3); `none` when the roster does not list it. */
export async function rosterEntry(iq: Pick<IQCaller, 'request'>, contact: string): Promise<RosterEntry> {
  const res = await iq.request(xml('iq', { type: 'get' }, xml('query', { xmlns: NS.roster })));
  const wanted = bareJid(contact);
  const item = res
    .getChild('query', NS.roster)
    ?.getChildren('item')
    .find((i) => bareJid(String(i.attrs.jid)) === wanted);
  const subscription = String(item?.attrs.subscription ?? 'none');
  return {
    subscription: SUBSCRIPTIONS.has(subscription) ? (subscription as RosterEntry['subscription']) : 'none',
    pending: item?.attrs.ask === 'subscribe',
  };
}

/** Whether a roster entry's subscription brings us the contact's presence (§3.1.5). */
export const receivesPresence = (entry: RosterEntry): boolean =>
  entry.subscription === 'to' || entry.subscription === 'both';
