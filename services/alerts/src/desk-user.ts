import { parseJid } from '@tickdesk/xmpp';

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
