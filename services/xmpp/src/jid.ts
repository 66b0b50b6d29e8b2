import { parse, type JID } from '@xmpp/jid';

// JIDs (RFC 7622) through @xmpp/jid rather than hand splits on '@' and '/': a resource may
// itself hold '@' or '/' (§3.4), which a split takes for the local part or the domain.

/** The parsed JID, or undefined when the text has no domain. */
export function parseJid(text: string): JID | undefined {
  try {
    return parse(text);
  } catch {
    return undefined;
  }
}

/** `local@domain` (or `domain`) without the resource; '' for no JID. */
export const bareJid = (text: string): string => parseJid(text)?.bare().toString() ?? '';
/** The local part; '' for a server or no JID. */
export const jidLocal = (text: string): string => parseJid(text)?.local ?? '';
/** The domain part; '' for no JID. */
export const jidDomain = (text: string): string => parseJid(text)?.domain ?? '';
