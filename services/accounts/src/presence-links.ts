import type { Logger } from 'pino';
import {
  bareJid,
  presence,
  presenceSubscription,
  receivesPresence,
  rosterEntry,
  type Element,
  type XmppClient,
} from '@tickdesk/xmpp';

const POLL_MS = 100;

/**
 * Make `a` and `b` see each other's presence: each subscribes to the other and the
 * other approves (RFC 6121 §3.1). Both are online, so no trader has to click
 * "approve", and it works on any server. A direction already in place is left alone,
 * so running it again (every start) is harmless.
 *
 * Completion is read from the requester's roster, not from a `subscribed` presence.
 * When the contact has already approved, its server answers on its behalf (RFC 6121
 * §3.1.3), and the requester's server drops that answer when no request of its own is
 * pending (§3.1.6): Prosody 0.12 does, so a second start used to wait 10 s and fail.
 * And a request left pending by an interrupted run is delivered again only when the
 * contact next becomes available (§3.1.3), so both accounts approve each other's
 * requests before they send their initial presence.
 */
export async function linkPresence(a: XmppClient, b: XmppClient, log: Logger, timeoutMs = 10_000): Promise<void> {
  const approvers = [approveRequests(a, b), approveRequests(b, a)];
  try {
    // A request reaches only "interested" resources, those that fetched the roster and
    // are available (§3.1.3, §2.1.6); otherwise it waits offline.
    for (const c of [a, b]) {
      await rosterEntry(c.iq, '');
      await c.send(presence('available'));
    }
    await subscribe(a, b, timeoutMs);
    await subscribe(b, a, timeoutMs);
  } finally {
    approvers.forEach((stop) => stop());
  }
  log.debug({ a: a.bareJid(), b: b.bareJid() }, 'presence linked');
}

/** `contact` approves every subscription request from `requester` until stopped. */
function approveRequests(contact: XmppClient, requester: XmppClient): () => void {
  const requesterJid = requester.bareJid();
  const requesterBare = bareJid(requesterJid);
  const approve = (st: Element) => {
    if (st.name === 'presence' && st.attrs.type === 'subscribe' && bareJid(String(st.attrs.from)) === requesterBare) {
      contact.send(presenceSubscription(requesterJid, 'subscribed')).catch(() => undefined);
    }
  };
  contact.on('stanza', approve);
  return () => contact.off('stanza', approve);
}

/** `from` subscribes to `to`'s presence, unless it already receives it. */
async function subscribe(from: XmppClient, to: XmppClient, timeoutMs: number): Promise<void> {
  const toJid = to.bareJid();
  if (receivesPresence(await rosterEntry(from.iq, toJid))) return;
  await from.send(presenceSubscription(toJid, 'subscribe'));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const entry = await rosterEntry(from.iq, toJid);
    if (receivesPresence(entry)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${toJid} did not approve the presence subscription of ${from.bareJid()} within ${timeoutMs} ms (roster: ${entry.subscription})`,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Link the desk account with every trader, and the traders with each other. */
export async function linkDesk(desk: XmppClient, traders: readonly XmppClient[], log: Logger): Promise<void> {
  for (const [i, t] of traders.entries()) {
    await linkPresence(desk, t, log);
    for (const other of traders.slice(i + 1)) await linkPresence(t, other, log);
  }
}
