import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { xml, type Element, type XmppClient } from '@tickdesk/xmpp';
import { createPresenceTracker } from './presence-tracker.js';
import { createRemoteSubscriptions } from './remote-subscriptions.js';

const DOMAIN = 'desk.localhost';
const BOB = 'bob@deskb.localhost';
const CAROL = 'carol@deskb.localhost';
const NS_ROSTER = 'jabber:iq:roster';
const log = pino({ level: 'silent' });

/** The presence hash in Redis (td:presence), shared by every engine of the desk. */
function fakeRedis(hash = new Map<string, string>()) {
  const multi = {
    hset: (_k: string, f: string, v: string) => (hash.set(f, v), multi),
    publish: () => multi,
    exec: async () => [],
  };
  const redis = {
    hgetall: async () => Object.fromEntries(hash),
    hkeys: async () => [...hash.keys()],
    hset: async (_k: string, f: string, v: string) => (hash.set(f, v), 1),
    hdel: async (_k: string, f: string) => Number(hash.delete(f)),
    multi: () => multi,
  } as unknown as Redis;
  return { redis, hash };
}

/** The desk's alerts account on its server: one roster, whatever resource (engine) asks. */
function fakeAccount(roster = new Map<string, string>()) {
  const sent: Element[] = [];
  const sessions: Array<XmppClient & EventEmitter> = [];
  function session(resource: string) {
    const client = Object.assign(new EventEmitter(), {
      jid: () => `alerts@${DOMAIN}/${resource}`,
      async send(stanza: Element) {
        sent.push(stanza);
        // RFC 6121 §3.1.2 and §3.3.2: the roster records our request, and its cancellation.
        const to = String(stanza.attrs.to);
        if (stanza.attrs.type === 'subscribe') roster.set(to, 'none subscribe');
        if (stanza.attrs.type === 'unsubscribe' && roster.has(to)) roster.set(to, 'none');
      },
      iq: {
        async request(iq: Element) {
          const item = iq.getChild('query', NS_ROSTER)?.getChild('item');
          if (iq.attrs.type === 'set' && item?.attrs.subscription === 'remove') roster.delete(String(item.attrs.jid));
          const items = [...roster].map(([jid, state]) => {
            const [subscription, ask] = state.split(' ');
            return xml('item', { jid, subscription, ...(ask ? { ask } : {}) });
          });
          return xml('iq', { type: 'result' }, xml('query', { xmlns: NS_ROSTER }, ...items));
        },
      },
    }) as unknown as XmppClient & EventEmitter;
    sessions.push(client);
    return client;
  }
  /** A presence from a contact, as the server delivers it to each of the account's sessions. */
  const presenceFrom = (jid: string, type?: string) => {
    for (const s of sessions) s.emit('stanza', xml('presence', { from: jid, ...(type ? { type } : {}) }));
  };
  return { roster, sent, session, presenceFrom };
}

/** One alert engine: its presence tracker and its partner traders' subscriptions, wired as alert-wiring.ts does. */
function engine(account: ReturnType<typeof fakeAccount>, redis: Redis, resource = 'e1', max = 1000) {
  const client = account.session(resource);
  const peers = new Set(['deskb.localhost']);
  const presence = createPresenceTracker({
    client,
    redis,
    domain: DOMAIN,
    peers,
    isTrader: (t) => t === 'alice' || remote.follows(t),
    log,
    resyncMs: 10,
  });
  const remote = createRemoteSubscriptions({
    client,
    domain: DOMAIN,
    peers,
    max,
    onNamed: (t) => presence.track(t),
    onDropped: (t) => presence.untrack(t),
    stored: () => redis.hkeys('td:presence'),
    log,
  });
  return { client, presence, remote, start: () => presence.start([]) };
}

const settle = () => new Promise((r) => setTimeout(r, 20));
const show = (hash: Map<string, string>, trader: string) =>
  hash.has(trader) ? (JSON.parse(hash.get(trader)!) as { show: string }).show : undefined;
const sentTo = (sent: Element[], to: string, type: string) =>
  sent.filter((s) => s.name === 'presence' && s.attrs.to === to && s.attrs.type === type).length;

/** One engine, started, on a desk of its own. */
async function oneEngine(max?: number) {
  const { redis, hash } = fakeRedis();
  const account = fakeAccount();
  const e = engine(account, redis, 'e1', max);
  await e.start();
  return { hash, account, e };
}

/** Bob's phone comes online: each session of the alerts account hears it. */
async function bobOnline(account: ReturnType<typeof fakeAccount>, hash: Map<string, string>) {
  await settle();
  account.presenceFrom(`${BOB}/phone`);
  await settle();
  expect(show(hash, BOB)).toBe('online');
}

describe("a partner desk's trader no rule names any more", () => {
  it('recipient changed: the engine unsubscribes (RFC 6121 §3.3), removes the roster item and their presence entry', async () => {
    const { hash, account, e } = await oneEngine();
    e.remote.onRule({ id: 'r1', recipient: BOB });
    await bobOnline(account, hash);
    expect(sentTo(account.sent, BOB, 'subscribe')).toBe(1);

    e.remote.onRule({ id: 'r1', recipient: CAROL });
    await settle();
    expect(hash.has(BOB)).toBe(false);
    expect(show(hash, CAROL)).toBe('offline');
    expect(sentTo(account.sent, BOB, 'unsubscribe')).toBe(1);
    expect(account.roster.has(BOB)).toBe(false);
    // Their server answers the unsubscribe with unavailable presence (§3.3.3): it writes nothing.
    account.presenceFrom(`${BOB}/phone`, 'unavailable');
    await settle();
    expect(hash.has(BOB)).toBe(false);
    expect(e.presence.snapshot().map((p) => p.trader)).toEqual([CAROL]);
  });

  it('rule deleted: the trader stays while another rule names them, and goes with the last one', async () => {
    const { hash, account, e } = await oneEngine();
    e.remote.onRule({ id: 'r1', recipient: BOB });
    e.remote.onRule({ id: 'r2', recipient: 'alice', backup: BOB });
    await settle();
    e.remote.onRuleGone('r1');
    await settle();
    expect(show(hash, BOB)).toBe('offline');
    expect(sentTo(account.sent, BOB, 'unsubscribe')).toBe(0);
    e.remote.onRuleGone('r2');
    await settle();
    expect(hash.has(BOB)).toBe(false);
    expect(account.roster.has(BOB)).toBe(false);
    // Named again later: asked again, as a first time.
    e.remote.onRule({ id: 'r3', recipient: BOB });
    await settle();
    expect(sentTo(account.sent, BOB, 'subscribe')).toBe(2);
    expect(show(hash, BOB)).toBe('offline');
  });

  it('at start, the entries and roster items of partner traders no stored rule names, or of a domain no longer a peer, go; the rest stay', async () => {
    const entry = (trader: string, s: string) => JSON.stringify({ trader, show: s, since: '2026-12-06T15:00:00.000Z' });
    const { redis, hash } = fakeRedis(
      new Map([
        ['alice', entry('alice', 'online')],
        [BOB, entry(BOB, 'online')],
        [CAROL, entry(CAROL, 'away')],
        ['eve@old.example', entry('eve@old.example', 'online')],
      ]),
    );
    const account = fakeAccount(
      new Map([
        [`alice@${DOMAIN}`, 'both'],
        [BOB, 'to'],
        [CAROL, 'to'],
        ['eve@old.example', 'to'],
      ]),
    );
    const e = engine(account, redis);
    await e.start();
    // eve@old.example's rule is stored still, but old.example left the peers file.
    e.remote.onRules([
      { id: 'r1', recipient: BOB },
      { id: 'r2', recipient: 'eve@old.example' },
    ]);
    await e.remote.prune();
    await settle();
    expect([...hash.keys()].sort()).toEqual(['alice', BOB]);
    expect([...account.roster.keys()].sort()).toEqual([`alice@${DOMAIN}`, BOB].sort());
    expect(sentTo(account.sent, CAROL, 'unsubscribe')).toBe(1);
    expect(sentTo(account.sent, `alice@${DOMAIN}`, 'unsubscribe')).toBe(0);
    // Subscribed already (`to`): not asked again (§3.1.2).
    expect(sentTo(account.sent, BOB, 'subscribe')).toBe(0);
  });

  it('several engines share the snapshot: an engine hearing of the change later removes what its presence wrote meanwhile, and a starting engine keeps the one a stored rule names', async () => {
    const { redis, hash } = fakeRedis();
    const account = fakeAccount();
    const a = engine(account, redis, 'e1');
    const b = engine(account, redis, 'e2');
    await Promise.all([a.start(), b.start()]);
    // Every engine loads every stored rule, whatever instruments it holds.
    for (const e of [a, b]) e.remote.onRule({ id: 'r1', recipient: BOB });
    await bobOnline(account, hash);

    // A third engine starts while r1 names bob: its start leaves bob's entry and subscription alone.
    const c = engine(account, redis, 'e3');
    await c.start();
    c.remote.onRules([{ id: 'r1', recipient: BOB }]);
    await c.remote.prune();
    await settle();
    expect(hash.has(BOB)).toBe(true);
    expect(account.roster.has(BOB)).toBe(true);

    // r1 now names carol; engine a hears first and drops bob; bob's server's unavailable reaches engine b too.
    a.remote.onRule({ id: 'r1', recipient: CAROL });
    await settle();
    account.presenceFrom(`${BOB}/phone`, 'unavailable');
    await settle();
    for (const e of [b, c]) e.remote.onRule({ id: 'r1', recipient: CAROL });
    await settle();
    expect(hash.has(BOB)).toBe(false);
    expect(show(hash, CAROL)).toBe('offline');
  });

  it('follows at most `max` partner traders; one over is followed once another is dropped', async () => {
    const { hash, e } = await oneEngine(1);
    e.remote.onRule({ id: 'r1', recipient: BOB });
    e.remote.onRule({ id: 'r2', recipient: CAROL });
    await settle();
    expect(e.remote.follows(BOB)).toBe(true);
    expect(e.remote.follows(CAROL)).toBe(false);
    expect(hash.has(CAROL)).toBe(false);
    e.remote.onRuleGone('r1');
    await settle();
    expect(hash.has(BOB)).toBe(false);
    expect(e.remote.follows(CAROL)).toBe(true);
    expect(show(hash, CAROL)).toBe('offline');
  });
});
