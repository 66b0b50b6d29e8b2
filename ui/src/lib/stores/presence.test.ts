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
    const t = fakeDesk({
      routes: {
        'GET /presence': () =>
          json(200, {
            traders: [
              { trader: 'alice', show: 'online', since: '2026-11-21T09:00:00.000Z' },
              { trader: 'bob', show: 'dnd', status: 'on a call', since: '2026-11-21T08:00:00.000Z' },
              { trader: 'dave', show: 'offline' },
            ],
          }),
      },
    });
    await t.login();
    const row = (jid: string) => get(t.desk.presence.rows).find((r) => r.jid === jid);
    expect(row('bob@desk.localhost')).toEqual({
      jid: 'bob@desk.localhost',
      show: 'busy',
      status: 'on a call',
      since: '2026-11-21T08:00:00.000Z',
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
