import { describe, expect, it } from 'vitest';
import xml, { type Element } from '@xmpp/xml';
import { receivesPresence, removeRosterItem, rosterEntry } from './roster.js';

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

describe('removeRosterItem', () => {
  it("sends a roster set with subscription='remove' for the bare JID (RFC 6121 §2.5.2); a contact not listed is no error", async () => {
    const asked: Element[] = [];
    const iq = (condition?: string) => ({
      request: (stanza: Element) => {
        asked.push(stanza);
        return condition ? Promise.reject(Object.assign(new Error(condition), { condition })) : Promise.resolve(stanza);
      },
    });
    await removeRosterItem(iq(), 'bob@deskb.localhost/phone');
    const item = asked[0]!.getChild('query', NS)?.getChild('item');
    expect([asked[0]!.attrs.type, item?.attrs.jid, item?.attrs.subscription]).toEqual([
      'set',
      'bob@deskb.localhost',
      'remove',
    ]);
    await expect(removeRosterItem(iq('item-not-found'), 'eve@deskb.localhost')).resolves.toBeUndefined();
    await expect(removeRosterItem(iq('not-authorized'), 'eve@deskb.localhost')).rejects.toThrow('not-authorized');
  });
});
