import { describe, expect, it } from 'vitest';
import xml, { type Element } from '@xmpp/xml';
import { receivesPresence, rosterEntry } from './roster.js';

const NS = 'jabber:iq:roster';
/** An IQ caller that answers a roster get with these items. */
const rosterOf = (...items: Record<string, string>[]) => ({
  request: (stanza: Element) => {
    expect(stanza.getChild('query', NS)).toBeDefined();
    return Promise.resolve(
      xml('iq', { type: 'result' }, xml('query', { xmlns: NS }, ...items.map((a) => xml('item', a)))),
    );
  },
});

describe('rosterEntry', () => {
  it("reads a contact's subscription and pending request, matching the JID as a JID", async () => {
    const iq = rosterOf(
      { jid: 'bob@deskb.localhost', subscription: 'none', ask: 'subscribe' },
      { jid: 'ana@deskb.localhost', subscription: 'both' },
    );
    expect(await rosterEntry(iq, 'bob@deskb.localhost')).toEqual({ subscription: 'none', pending: true });
    expect(await rosterEntry(iq, 'Ana@DeskB.localhost/phone')).toEqual({ subscription: 'both', pending: false });
    expect(await rosterEntry(iq, 'eve@deskb.localhost')).toEqual({ subscription: 'none', pending: false });
  });

  it('takes an unknown subscription value for none', async () => {
    const iq = rosterOf({ jid: 'bob@deskb.localhost', subscription: 'remove' });
    expect(await rosterEntry(iq, 'bob@deskb.localhost')).toEqual({ subscription: 'none', pending: false });
  });

  it("receives the contact's presence on to and both only", () => {
    const on = (subscription: 'none' | 'to' | 'from' | 'both') => receivesPresence({ subscription, pending: false });
    expect([on('none'), on('to'), on('from'), on('both')]).toEqual([false, true, false, true]);
  });
});
