import { parseJid } from '@tickdesk/xmpp';
import type { StoredAlert } from './store/index.js';

/**
 * The user of this desk a JID names, with its resource; undefined for another domain, a
 * server JID or no JID. Parsed by @xmpp/jid, not split by hand: the bare JID ends at the first
 * '/', a resource may hold '@' and '/' (RFC 7622 §3.4), and a domain that merely begins with
 * the desk's (`alice@desk.example@elsewhere`) is another domain. The local part and domain come
 * case-mapped (§3.2, §3.3), as the desk's usernames and domain are written.
 */
export function deskUser(text: string, domain: string): { user: string; resource: string } | undefined {
  const jid = parseJid(text);
  return jid && jid.domain === domain && jid.local ? { user: jid.local, resource: jid.resource } : undefined;
}

/**
 * The trader a JID names as alerts name them: a desk user by username, a partner desk's
 * user (a domain in `peers`) by bare JID, as a rule names them; undefined for anyone else.
 */
export function deskTrader(
  text: string,
  domain: string,
  peers: ReadonlySet<string>,
): { trader: string; resource: string } | undefined {
  const jid = parseJid(text);
  if (!jid?.local) return undefined;
  if (jid.domain === domain) return { trader: jid.local, resource: jid.resource };
  return peers.has(jid.domain) ? { trader: `${jid.local}@${jid.domain}`, resource: jid.resource } : undefined;
}

/** Whether a trader name is a partner desk's bare JID rather than a desk username. */
export const isRemoteTrader = (trader: string): boolean => trader.includes('@');

/** The bare JID of a trader: a desk username on the desk's domain, a partner's JID as it is. */
export const traderJid = (trader: string, domain: string): string =>
  isRemoteTrader(trader) ? trader : `${trader}@${domain}`;

/** Who an alert goes to first: the rule's recipient, or else its owner. */
export const addresseeOf = (alert: Pick<StoredAlert, 'owner' | 'addressee'>): string => alert.addressee ?? alert.owner;
