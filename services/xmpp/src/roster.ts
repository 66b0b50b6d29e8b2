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
  return (await rosterItems(iq)).get(bareJid(contact)) ?? { subscription: 'none', pending: false };
}

/** Whether a roster entry's subscription brings us the contact's presence (§3.1.5). */
export const receivesPresence = (entry: RosterEntry): boolean =>
  entry.subscription === 'to' || entry.subscription === 'both';

/** Every contact the roster lists, by bare JID, read by one roster get (§2.1.3). */
export async function rosterItems(iq: Pick<IQCaller, 'request'>): Promise<Map<string, RosterEntry>> {
  const res = await iq.request(xml('iq', { type: 'get' }, xml('query', { xmlns: NS.roster })));
  const out = new Map<string, RosterEntry>();
  for (const item of res.getChild('query', NS.roster)?.getChildren('item') ?? []) {
    const subscription = String(item.attrs.subscription ?? 'none');
    out.set(bareJid(String(item.attrs.jid)), {
      subscription: SUBSCRIPTIONS.has(subscription) ? (subscription as RosterEntry['subscription']) : 'none',
      pending: item.attrs.ask === 'subscribe',
    });
  }
  return out;
}

/**
 * Remove a contact from the roster (§2.5.2: a roster set with subscription='remove'); the
 * server then cancels the subscriptions both ways. A contact not listed is not an error.
 */
export async function removeRosterItem(iq: Pick<IQCaller, 'request'>, contact: string): Promise<void> {
  const item = xml('item', { jid: bareJid(contact), subscription: 'remove' });
  try {
    await iq.request(xml('iq', { type: 'set' }, xml('query', { xmlns: NS.roster }, item)));
  } catch (err) {
    if ((err as { condition?: string }).condition !== 'item-not-found') throw err;
  }
}
