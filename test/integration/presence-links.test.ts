import { afterAll, describe, expect, it } from 'vitest';
import { linkPresence } from '@tickdesk/accounts';
import { presence, presenceSubscription, xml, type XmppClient } from '@tickdesk/xmpp';
import { connect, desk, log } from './helpers.js';

const clients: XmppClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
});

async function online(user: string): Promise<XmppClient> {
  const c = await connect(user, 'presence-links');
  clients.push(c);
  return c;
}

/** The subscription state of `contact` in `client`'s roster. */
async function subscription(client: XmppClient, contact: string): Promise<string | undefined> {
  const res = await client.iq.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
  return res
    .getChild('query', 'jabber:iq:roster')
    ?.getChildren('item')
    .find((i) => i.attrs.jid === contact)?.attrs.subscription as string | undefined;
}

const jid = (user: string) => `${user}@${desk().domain}`;

describe('presence links (RFC 6121 §3.1)', () => {
  it('links two accounts both ways, and linking them again (the next start) succeeds at once', async () => {
    const [ivy, kim] = [await online('ivy'), await online('kim')];
    await linkPresence(ivy, kim, log, 5_000);
    expect(await subscription(ivy, jid('kim'))).toBe('both');
    expect(await subscription(kim, jid('ivy'))).toBe('both');

    // The server answers an already approved request on the contact's behalf and the
    // requester's server drops the answer: waiting for it would time out.
    const started = Date.now();
    await linkPresence(ivy, kim, log, 5_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await subscription(ivy, jid('kim'))).toBe('both');
    expect(await subscription(kim, jid('ivy'))).toBe('both');
  });

  it('completes a request left pending while the contact was offline', async () => {
    const lee = await online('lee');
    await lee.iq.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    await lee.send(presence('available'));
    await lee.send(presenceSubscription(jid('max'), 'subscribe'));
    await new Promise((r) => setTimeout(r, 300));
    expect(await subscription(lee, jid('max'))).toBe('none'); // asked, not approved: max is offline

    const max = await online('max');
    await linkPresence(lee, max, log, 5_000);
    expect(await subscription(lee, jid('max'))).toBe('both');
    expect(await subscription(max, jid('lee'))).toBe('both');
  });
});
