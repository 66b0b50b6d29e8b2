import type { Logger } from 'pino';
import { presence, presenceSubscription, xml, type Element, type XmppClient } from '@tickdesk/xmpp';

const bare = (jid: string) => jid.split('/')[0]!;

/**
 * Make `a` and `b` see each other's presence: each subscribes to the other and the
 * other approves (RFC 6121 §3.1). Both are online, so no trader has to click
 * "approve", and it works on any server. Already linked accounts get the server's
 * automatic `subscribed` (§3.1.3), so running it again is harmless.
 */
export async function linkPresence(a: XmppClient, b: XmppClient, log: Logger, timeoutMs = 10_000): Promise<void> {
  // A request reaches only "interested" resources, those that fetched the roster and are
  // available (§3.1.3, §2.1.6); otherwise it waits offline.
  for (const c of [a, b]) {
    await c.iq.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    await c.send(presence('available'));
  }
  await subscribe(a, b, timeoutMs);
  await subscribe(b, a, timeoutMs);
  log.debug({ a: a.bareJid(), b: b.bareJid() }, 'presence linked');
}

async function subscribe(from: XmppClient, to: XmppClient, timeoutMs: number): Promise<void> {
  const fromJid = from.bareJid();
  const toJid = to.bareJid();
  const approve = (st: Element) => {
    if (st.name === 'presence' && st.attrs.type === 'subscribe' && bare(String(st.attrs.from)) === fromJid) {
      to.send(presenceSubscription(fromJid, 'subscribed')).catch(() => undefined);
    }
  };
  to.on('stanza', approve);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        from.off('stanza', approved);
        reject(new Error(`${toJid} did not approve the presence subscription of ${fromJid} within ${timeoutMs} ms`));
      }, timeoutMs);
      function approved(st: Element) {
        if (st.name === 'presence' && st.attrs.type === 'subscribed' && bare(String(st.attrs.from)) === toJid) {
          clearTimeout(timer);
          from.off('stanza', approved);
          resolve();
        }
      }
      from.on('stanza', approved);
      from.send(presenceSubscription(toJid, 'subscribe')).catch(reject);
    });
  } finally {
    to.off('stanza', approve);
  }
}

/** Link the desk account with every trader, and the traders with each other. */
export async function linkDesk(desk: XmppClient, traders: readonly XmppClient[], log: Logger): Promise<void> {
  for (const [i, t] of traders.entries()) {
    await linkPresence(desk, t, log);
    for (const other of traders.slice(i + 1)) await linkPresence(t, other, log);
  }
}
