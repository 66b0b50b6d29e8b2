import { bareJid, jidDomain, jidLocal } from '@tickdesk/xmpp/browser';

/** JID helpers for the forms and stores: the services' RFC 7622 parsing (@xmpp/jid). */
export { bareJid };
export const localpart = jidLocal;
export const domainOf = jidDomain;

/** The bare JID as the login form wants it: localpart@domain, lower case, no resource. */
export function parseLoginJid(text: string): { jid: string; user: string; domain: string } | undefined {
  const m = /^([a-z0-9][a-z0-9._-]{0,63})@([a-z0-9.-]{1,253})$/.exec(text.trim().toLowerCase());
  return m ? { jid: `${m[1]}@${m[2]}`, user: m[1]!, domain: m[2]! } : undefined;
}

/**
 * The partner desk a recipient belongs to: the domain of a bare JID other than ours (rules name
 * a partner desk's trader by bare JID, a desk trader by username); undefined for anyone of ours.
 */
export function remoteDomain(name: string | undefined, ours: string): string | undefined {
  if (!name?.includes('@')) return undefined;
  const domain = domainOf(name);
  return domain && domain !== ours ? domain : undefined;
}
