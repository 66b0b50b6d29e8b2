import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { barsNode, ticksNode, type Instrument } from '@tickdesk/schemas';
import { NS_PUBSUB_OWNER, xml, type Element } from '@tickdesk/xmpp';
import { createRemoteGrants } from './remote-grants.js';
import { RemoteGrantError, remoteAccount } from './remote-jid.js';

const PUBSUB = 'pubsub.desk.localhost';
const PEERS = ['deskb.localhost', 'partner.example'];
const INSTRUMENTS = [{ symbol: 'BTCUSDT' }, { symbol: 'ETHUSDT' }] as Instrument[];

/** A pubsub service holding each node's affiliations and subscriptions, changed by owner requests (XEP-0060 §8.8, §8.9). */
function fakeService(subscribed: string[] = []) {
  const affs = new Map<string, Map<string, string>>();
  const subs = new Map<string, Map<string, string>>();
  const log: string[] = [];
  for (const s of INSTRUMENTS)
    for (const node of [ticksNode(s.symbol), barsNode(s.symbol)]) {
      affs.set(node, new Map([['feed@desk.localhost', 'publisher']]));
      subs.set(node, new Map(subscribed.map((j) => [j, 'subscribed'])));
    }
  const request = (stanza: Element): Promise<Element> => {
    const [list] = (stanza.getChild('pubsub', NS_PUBSUB_OWNER)?.children ?? []) as Element[];
    const node = String(list!.attrs.node);
    const isSubs = list!.name === 'subscriptions';
    const table = (isSubs ? subs : affs).get(node)!;
    const attr = isSubs ? 'subscription' : 'affiliation';
    if (stanza.attrs.type === 'set') {
      for (const i of list!.getChildren(attr)) {
        const [jid, value] = [String(i.attrs.jid), String(i.attrs[attr])];
        log.push(`${attr} ${node} ${jid} ${value}`);
        if (value === 'none') table.delete(jid);
        else table.set(jid, value);
      }
      return Promise.resolve(xml('iq', { type: 'result' }));
    }
    const entries = [...table].map(([jid, value]) => xml(attr, { jid, [attr]: value }));
    return Promise.resolve(
      xml('iq', { type: 'result' }, xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml(list!.name, { node }, ...entries))),
    );
  };
  return { admin: { iq: { request }, bareJid: () => 'admin@desk.localhost' }, affs, log };
}

const grants = (admin: ReturnType<typeof fakeService>['admin'], maxGrants?: number) =>
  createRemoteGrants({
    admin,
    pubsubHost: PUBSUB,
    instruments: INSTRUMENTS,
    peerDomains: PEERS,
    log: pino({ level: 'silent' }),
    ...(maxGrants === undefined ? {} : { maxGrants }),
  });

const problem = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof RemoteGrantError ? err.problem : 'other';
  }
  return 'accepted';
};

describe('remote accounts: bare JIDs of a peer desk only', () => {
  it('accepts an account of a peer desk, case-mapped as the server stores it', () => {
    expect(remoteAccount('Ana@DeskB.Localhost', PEERS)).toBe('ana@deskb.localhost');
    expect(remoteAccount('j.doe-2@partner.example', PEERS)).toBe('j.doe-2@partner.example');
  });

  it.each([
    ['ana@desk.localhost', 'not-a-peer'],
    ['ana@evil.example', 'not-a-peer'],
    ['ana@pubsub.deskb.localhost', 'not-a-peer'],
    ['ana@deskb.localhost.evil.example', 'not-a-peer'],
    ['deskb.localhost', 'malformed'],
    ['@deskb.localhost', 'malformed'],
    ['ana@deskb.localhost/phone', 'malformed'],
    ['ana@evil@deskb.localhost', 'malformed'],
    ['an a@deskb.localhost', 'malformed'],
    ['an<a@deskb.localhost', 'malformed'],
    ['an\\20a@deskb.localhost', 'malformed'],
    ['an\u0000a@deskb.localhost', 'malformed'],
    [`${'a'.repeat(65)}@deskb.localhost`, 'malformed'],
    [`ana@${'d'.repeat(320)}`, 'malformed'],
    ['', 'malformed'],
  ])('%j is refused (%s)', (jid, why) => {
    expect(problem(() => remoteAccount(jid, PEERS))).toBe(why);
  });

  it('a desk without peers refuses every remote account', () => {
    expect(problem(() => remoteAccount('ana@deskb.localhost', []))).toBe('not-a-peer');
  });
});

describe('remote grants: affiliations on our nodes', () => {
  it("grants member on the instrument's ticks/ and bars/ nodes and lists it per account and in all", async () => {
    const service = fakeService();
    const remote = grants(service.admin);
    expect(await remote.grant('Ana@deskb.localhost', 'BTCUSDT')).toBe(true);
    expect(await remote.grant('ana@deskb.localhost', 'BTCUSDT')).toBe(false);
    await remote.grant('zed@partner.example', 'ETHUSDT');
    expect(service.affs.get(ticksNode('BTCUSDT'))!.get('ana@deskb.localhost')).toBe('member');
    expect(service.affs.get(barsNode('BTCUSDT'))!.get('ana@deskb.localhost')).toBe('member');
    expect(await remote.list('ana@deskb.localhost')).toEqual([{ jid: 'ana@deskb.localhost', symbols: ['BTCUSDT'] }]);
    expect(await remote.list('nobody@deskb.localhost')).toEqual([{ jid: 'nobody@deskb.localhost', symbols: [] }]);
    expect(await remote.list()).toEqual([
      { jid: 'ana@deskb.localhost', symbols: ['BTCUSDT'] },
      { jid: 'zed@partner.example', symbols: ['ETHUSDT'] },
    ]);
  });

  it('local accounts and publishers on the nodes are not remote grants', async () => {
    const service = fakeService();
    service.affs.get(ticksNode('BTCUSDT'))!.set('ana@desk.localhost', 'member');
    expect(await grants(service.admin).list()).toEqual([]);
  });

  it("revokes the account's subscriptions first, then its affiliation, on both nodes", async () => {
    const service = fakeService(['ana@deskb.localhost/phone', 'bob@deskb.localhost/x']);
    const remote = grants(service.admin);
    await remote.grant('ana@deskb.localhost', 'BTCUSDT');
    service.log.length = 0;
    await remote.revoke('ana@deskb.localhost', 'BTCUSDT');
    expect(service.log).toEqual([
      `subscription ${ticksNode('BTCUSDT')} ana@deskb.localhost/phone none`,
      `affiliation ${ticksNode('BTCUSDT')} ana@deskb.localhost none`,
      `subscription ${barsNode('BTCUSDT')} ana@deskb.localhost/phone none`,
      `affiliation ${barsNode('BTCUSDT')} ana@deskb.localhost none`,
    ]);
    expect(await remote.list()).toEqual([]);
  });

  it('grants made at once are counted one after the other: the limit holds', async () => {
    const service = fakeService();
    const remote = grants(service.admin, 1);
    const results = await Promise.allSettled([
      remote.grant('ana@deskb.localhost', 'BTCUSDT'),
      remote.grant('bob@deskb.localhost', 'BTCUSDT'),
      remote.grant('zed@partner.example', 'ETHUSDT'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((await remote.list()).flatMap((g) => g.symbols)).toHaveLength(1);
  });

  it('refuses a grant beyond the desk-wide limit, and an unknown instrument, changing nothing', async () => {
    const service = fakeService();
    const remote = grants(service.admin, 2);
    await remote.grant('ana@deskb.localhost', 'BTCUSDT');
    await remote.grant('ana@deskb.localhost', 'ETHUSDT');
    service.log.length = 0;
    await expect(remote.grant('bob@deskb.localhost', 'BTCUSDT')).rejects.toMatchObject({ problem: 'limit' });
    expect(await remote.grant('ana@deskb.localhost', 'ETHUSDT')).toBe(false);
    await expect(remote.grant('ana@deskb.localhost', 'DOGEUSDT')).rejects.toMatchObject({
      problem: 'unknown-instrument',
    });
    await expect(remote.grant('ana@evil.example', 'BTCUSDT')).rejects.toMatchObject({ problem: 'not-a-peer' });
    expect(service.log).toEqual([]);
  });
});
