import { parseJid } from '@tickdesk/xmpp';

/** Longest remote JID accepted: a 64-character local part, '@', a 253-character domain (RFC 1035 §2.3.4). */
export const REMOTE_JID_MAX_LENGTH = 318;
/** Longest local part accepted, as for the desk's own accounts (RFC 7622 §3.3 allows more; no partner needs it). */
const LOCAL_MAX_LENGTH = 64;
// RFC 7622 §3.3.1: characters a localpart never holds; spaces and controls are not PRECIS IdentifierClass
// either, and a backslash would read as XEP-0106 escaping (which @xmpp/jid applies to the others).
const LOCAL_FORBIDDEN = /["&'/:<>@\\\s\p{Cc}]/u;

/** Why a remote account or grant was refused; the API maps each to a stable code. */
export type RemoteGrantProblem = 'malformed' | 'not-a-peer' | 'limit' | 'unknown-instrument';

export class RemoteGrantError extends Error {
  override readonly name = 'RemoteGrantError';
  constructor(
    readonly problem: RemoteGrantProblem,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The bare JID of an account on a peer desk (`analyst@deskb.example`), as the XMPP server
 * stores it (lower case, RFC 7622 §3.2 and §3.3 case mapping), or a RemoteGrantError:
 * `malformed` for anything but a bare JID within the length limits, `not-a-peer` for a
 * domain that is not one of `peerDomains` (our own included: local accounts are entitled
 * by name). A peer's pubsub or other service is no account.
 */
export function remoteAccount(text: string, peerDomains: readonly string[]): string {
  if (text.length > REMOTE_JID_MAX_LENGTH)
    throw new RemoteGrantError('malformed', `a remote JID is at most ${REMOTE_JID_MAX_LENGTH} characters`);
  const jid = text.includes('@') ? parseJid(text) : undefined;
  if (!jid?.local || !jid.domain || text.indexOf('@') !== text.lastIndexOf('@'))
    throw new RemoteGrantError('malformed', `'${text}' is not a JID of the form name@domain`);
  if (jid.resource || text.includes('/'))
    throw new RemoteGrantError('malformed', `'${text}' has a resource: grants are for bare JIDs`);
  const local = text.slice(0, text.indexOf('@'));
  if (local.length > LOCAL_MAX_LENGTH || LOCAL_FORBIDDEN.test(local))
    throw new RemoteGrantError(
      'malformed',
      `'${text}' has a local part of more than ${LOCAL_MAX_LENGTH} characters or one a JID may not hold`,
    );
  if (!peerDomains.some((d) => d.toLowerCase() === jid.domain))
    throw new RemoteGrantError(
      'not-a-peer',
      peerDomains.length === 0
        ? `${jid.domain} is not a peer desk: this desk has no peers (TICKDESK_PEERS_FILE)`
        : `${jid.domain} is not a peer desk (peers: ${peerDomains.join(', ')})`,
    );
  return jid.toString();
}
