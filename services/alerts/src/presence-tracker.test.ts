import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { xml, type XmppClient } from '@tickdesk/xmpp';
import { createPresenceTracker } from './presence-tracker.js';

function harness(online = true) {
  const client = Object.assign(new EventEmitter(), {
    jid: () => (online ? 'alerts@desk.localhost/e1' : undefined),
    send: async () => undefined,
  }) as unknown as XmppClient & EventEmitter;
  const multi = { hset: () => multi, publish: () => multi, exec: async () => [] };
  const redis = { hgetall: async () => ({}), hset: async () => 1, multi: () => multi } as unknown as Redis;
  const tracker = createPresenceTracker({
    client,
    redis,
    domain: 'desk.localhost',
    isTrader: (u) => ['alice', 'bob', 'carol@deskb.localhost'].includes(u),
    peers: new Set(['deskb.localhost']),
    log: pino({ level: 'silent' }),
    resyncMs: 1_500,
  });
  const from = (jid: string, show?: string) =>
    client.emit('stanza', xml('presence', { from: jid }, ...(show ? [xml('show', {}, show)] : [])));
  const stanza = (jid: string, type: string) => client.emit('stanza', xml('presence', { from: jid, type }));
  let ready = false;
  const start = (traders: string[]) => tracker.start(traders).then(() => void (ready = true));
  return { tracker, client, from, stanza, start, ready: () => ready };
}
const settle = () => vi.advanceTimersByTimeAsync(0);

// start() resolves when its snapshot is the server's, not after a fixed sleep.
describe('presence start: ready when every trader is heard or the resync window closes', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('resolves as soon as every trader has sent presence, with no time passing', async () => {
    const h = harness();
    void h.start(['alice', 'bob']);
    await settle();
    h.from('alice@desk.localhost/phone', 'dnd');
    await settle();
    expect(h.ready()).toBe(false);
    h.from('bob@desk.localhost/desk');
    await settle();
    expect(h.ready()).toBe(true);
    expect(h.tracker.get('alice').show).toBe('dnd');
    expect(h.tracker.get('bob').show).toBe('online');
  });

  it('a trader who stays silent is offline once the resync window (1.5 s) closes, and only then is it ready', async () => {
    const h = harness();
    void h.start(['alice', 'bob']);
    await settle();
    h.from('alice@desk.localhost/phone');
    await vi.advanceTimersByTimeAsync(1_499);
    expect(h.ready()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.ready()).toBe(true);
    expect(h.tracker.get('bob').show).toBe('offline');
  });

  it('not online yet, or no trader to wait for: ready at once', async () => {
    const offline = harness(false);
    void offline.start(['alice']);
    await settle();
    expect(offline.ready()).toBe(true);
    const none = harness();
    void none.start([]);
    await settle();
    expect(none.ready()).toBe(true);
  });
});

// RFC 7622 §3.4: a resourcepart may hold '@' and '/'; only the first '/' ends the bare JID.
describe('presence per resource', () => {
  it("keeps resources apart that share what precedes a '/' inside them, and folds them to the most reachable", async () => {
    const h = harness(false);
    await h.start(['alice']);
    h.from('alice@desk.localhost/c@d/e');
    h.from('alice@desk.localhost/c@d/f', 'dnd');
    expect(h.tracker.get('alice').show).toBe('online');
    h.stanza('alice@desk.localhost/c@d/e', 'unavailable');
    expect(h.tracker.get('alice').show).toBe('dnd');
    h.stanza('alice@desk.localhost/c@d/f', 'unavailable');
    expect(h.tracker.get('alice').show).toBe('offline');
    h.tracker.stop();
  });

  it("ignores presence from a JID whose domain only begins with the desk's, or from another domain", async () => {
    const h = harness(false);
    await h.start(['alice']);
    h.from('alice@desk.localhost@evil.example/x');
    h.from('alice@evil.example/desk.localhost');
    expect(h.tracker.get('alice').show).toBe('offline');
    h.from('alice@desk.localhost/x');
    expect(h.tracker.get('alice').show).toBe('online');
    h.tracker.stop();
  });
});

// A partner desk's trader named by a rule: followed by bare JID over the s2s link, as a local trader is.
describe("a partner desk's trader", () => {
  it('is online, dnd or offline by the presence of their resources, keyed by bare JID', async () => {
    const h = harness(false);
    await h.start(['alice']);
    h.from('carol@deskb.localhost/phone', 'dnd');
    expect(h.tracker.get('carol@deskb.localhost').show).toBe('dnd');
    h.from('carol@deskb.localhost/desk');
    expect(h.tracker.get('carol@deskb.localhost').show).toBe('online');
    h.stanza('carol@deskb.localhost/desk', 'unavailable');
    h.stanza('carol@deskb.localhost/phone', 'unavailable');
    expect(h.tracker.get('carol@deskb.localhost').show).toBe('offline');
  });

  it('is offline once a stanza to them bounces (the link is down), and online again when their presence comes', async () => {
    const h = harness(false);
    await h.start(['alice']);
    h.from('carol@deskb.localhost/phone');
    h.from('alice@desk.localhost/desk');
    const bounce = (from: string) =>
      h.client.emit('stanza', xml('message', { from, type: 'error', id: 'a1' }, xml('error', { type: 'cancel' })));
    bounce('carol@deskb.localhost');
    expect(h.tracker.get('carol@deskb.localhost').show).toBe('offline');
    bounce('alice@desk.localhost');
    expect(h.tracker.get('alice').show).toBe('online');
    h.from('carol@deskb.localhost/phone');
    expect(h.tracker.get('carol@deskb.localhost').show).toBe('online');
  });

  it('ignores presence from accounts no rule names, from unlisted domains, and the local user of the same name', async () => {
    const h = harness(false);
    await h.start(['alice']);
    h.from('dave@deskb.localhost/phone');
    h.from('carol@deskc.localhost/phone');
    h.from('carol@desk.localhost/phone');
    expect(h.tracker.snapshot()).toEqual([expect.objectContaining({ trader: 'alice', show: 'offline' })]);
  });
});
