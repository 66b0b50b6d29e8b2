/** JID helpers for the forms and stores (RFC 7622, only the parts the desk uses). */
export const bareJid = (jid: string): string => jid.split('/')[0]!;
export const localpart = (jid: string): string => bareJid(jid).split('@')[0]!;
export const domainOf = (jid: string): string => bareJid(jid).split('@')[1] ?? '';

/** The bare JID as the login form wants it: localpart@domain, lower case, no resource. */
export function parseLoginJid(text: string): { jid: string; user: string; domain: string } | undefined {
  const m = /^([a-z0-9][a-z0-9._-]{0,63})@([a-z0-9.-]{1,253})$/.exec(text.trim().toLowerCase());
  return m ? { jid: `${m[1]}@${m[2]}`, user: m[1]!, domain: m[2]! } : undefined;
}
