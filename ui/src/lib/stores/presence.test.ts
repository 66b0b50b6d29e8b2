import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { xml } from '@tickdesk/xmpp/browser';
import { fakeDesk, json } from '../../test/fakes.js';
import { deskShow } from './presence.js';

const pres = (from: string, show?: string, status?: string, type?: string) =>
  xml(
    'presence',
    { from, ...(type ? { type } : {}) },
    ...(show ? [xml('show', {}, show)] : []),
    ...(status ? [xml('status', {}, status)] : []),
  );

/** A trader logged in on a desk whose GET /v1/presence answers `traders`. */
async function deskWith(traders: unknown[]) {
  const t = fakeDesk({ routes: { 'GET /presence': () => json(200, { traders }) } });
  await t.login();
  return { t, row: (jid: string) => get(t.desk.presence.rows).find((r) => r.jid === jid) };
}

describe('desk presence', () => {
  it('names XMPP shows the desk way', () => {
    expect(deskShow('available')).toBe('online');
    expect(deskShow('chat')).toBe('online');
    expect(deskShow('away')).toBe('away');
    expect(deskShow('xa')).toBe('away');
    expect(deskShow('dnd')).toBe('busy');
    expect(deskShow('unavailable')).toBe('offline');
    expect(deskShow('offline')).toBe('offline');
  });

  it('starts from the REST snapshot, then follows roster presence per account', async () => {
    const { t, row } = await deskWith([
      { trader: 'alice', show: 'online', since: '2026-11-21T09:00:00.000Z' },
      { trader: 'bob', show: 'dnd', status: 'on a call', since: '2026-11-21T08:00:00.000Z' },
      { trader: 'dave', show: 'offline' },
    ]);
    expect(row('bob@desk.localhost')).toEqual({
      jid: 'bob@desk.localhost',
      show: 'busy',
      status: 'on a call',
      since: '2026-11-21T08:00:00.000Z',
      domain: 'desk.localhost',
      remote: false,
    });
    expect(row('dave@desk.localhost')).toMatchObject({ show: 'offline', since: '' });

    const s = t.xmpp.last();
    s.receive(pres('bob@desk.localhost/laptop', 'away', 'lunch'));
    expect(row('bob@desk.localhost')).toMatchObject({
      show: 'away',
      status: 'lunch',
      since: '2026-11-21T10:00:00.000Z',
    });
    s.receive(pres('bob@desk.localhost/phone', 'dnd'));
    expect(row('bob@desk.localhost')!.show).toBe('away');
    s.receive(pres('bob@desk.localhost/laptop', undefined, undefined, 'unavailable'));
    expect(row('bob@desk.localhost')!.show).toBe('busy');
    s.receive(pres('bob@desk.localhost/phone', undefined, undefined, 'unavailable'));
    expect(row('bob@desk.localhost')!.show).toBe('offline');
    s.receive(pres('alerts@desk.localhost/engine'));
    expect(row('alerts@desk.localhost')).toBeUndefined();
  });

  it("keeps a partner desk's trader the snapshot names, live if our session hears them; other foreign contacts never show", async () => {
    const { t, row } = await deskWith([
      { trader: 'alice', show: 'online', since: '2026-11-21T09:00:00.000Z' },
      {
        trader: 'bob@deskb.localhost',
        show: 'xa',
        since: '2026-11-21T08:00:00.000Z',
        remote: true,
        domain: 'deskb.localhost',
      },
    ]);
    expect(get(t.desk.presence.rows).map((r) => [r.jid, r.remote])).toEqual([
      ['alice@desk.localhost', false],
      ['bob@deskb.localhost', true],
    ]);
    expect(row('bob@deskb.localhost')).toEqual({
      jid: 'bob@deskb.localhost',
      show: 'away',
      status: '',
      since: '2026-11-21T08:00:00.000Z',
      domain: 'deskb.localhost',
      remote: true,
    });
    const s = t.xmpp.last();
    // A personal contact of the trader's roster on another server is not a desk member.
    s.receive(pres('friend@elsewhere.example/phone'));
    expect(row('friend@elsewhere.example')).toBeUndefined();
    s.receive(pres('bob@deskb.localhost/gajim', 'dnd'));
    expect(row('bob@deskb.localhost')).toMatchObject({ show: 'busy', remote: true, domain: 'deskb.localhost' });
    // A newer snapshot does not undo what the session heard live.
    await t.desk.presence.load('desk.localhost');
    expect(row('bob@deskb.localhost')!.show).toBe('busy');
  });

  it('sets our own presence: busy is dnd, with the status text', async () => {
    const t = fakeDesk();
    await t.login();
    await t.desk.presence.setMine('busy', 'do not disturb');
    const sent = t.xmpp
      .last()
      .sent.filter((p) => p.name === 'presence')
      .at(-1)!;
    expect(sent.getChildText('show')).toBe('dnd');
    expect(sent.getChildText('status')).toBe('do not disturb');
    await t.desk.presence.setMine('online', '');
    const online = t.xmpp
      .last()
      .sent.filter((p) => p.name === 'presence')
      .at(-1)!;
    expect(online.getChild('show')).toBeUndefined();
  });
});
