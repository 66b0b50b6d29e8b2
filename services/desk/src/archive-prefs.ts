import type { Logger } from 'pino';
import { xml, type XmppClient } from '@tickdesk/xmpp';

const NS_MAM = 'urn:xmpp:mam:2';

/**
 * Tell the server to archive none of this account's messages (XEP-0313 §6: preferences
 * with default 'never'). For the desk's service accounts: nobody reads the engine's own
 * archive of the alerts it sends and the receipts it gets (the audit chain is the record),
 * and at a few alerts a second it reached the server's per-account item limit, where
 * Prosody's mod_mam rewrote the whole archive every 100 messages. The server stores the
 * preferences with the account (Prosody's and ejabberd's mod_mam alike), so they hold
 * after a restart. Only this account's own archive: a trader's archive is decided by the
 * trader's preferences and still keeps the alerts it is sent.
 */
export async function archiveNothing(client: XmppClient, user: string, log: Logger): Promise<void> {
  const prefs = xml('prefs', { xmlns: NS_MAM, default: 'never' }, xml('always'), xml('never'));
  await client.iq.request(xml('iq', { type: 'set' }, prefs));
  log.info({ user }, 'message archive preferences: never');
}
