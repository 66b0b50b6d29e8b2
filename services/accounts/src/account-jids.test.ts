import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { barsNode, ticksNode, type Instrument } from '@tickdesk/schemas';
import { NS_PUBSUB_OWNER, xml, type Element, type XmppClient } from '@tickdesk/xmpp';
import { createAccountDirectory } from './account-directory.js';
import { entitle } from './accounts.js';

const DOMAIN = 'desk.localhost';
const PUBSUB = `pubsub.${DOMAIN}`;
const INSTRUMENTS = [{ symbol: 'BTCUSDT' }] as Instrument[];

/**
 * An admin session whose pubsub service answers owner requests (XEP-0060 §8.8, §8.9) with
 * the given subscriptions and affiliations of every node, and records each change asked for.
 */
function fakeAdmin(nodes: {
  subscriptions?: Array<{ jid: string; subscription: string }>;
  affiliations?: Array<{ jid: string; affiliation: string }>;
}) {
  const changes: Array<{ kind: string; node: string; items: Array<Record<string, string>> }> = [];
  const request = (stanza: Element): Promise<Element> => {
    const [list] = (stanza.getChild('pubsub', NS_PUBSUB_OWNER)?.children ?? []) as Element[];
    const node = String(list!.attrs.node);
    if (stanza.attrs.type === 'set') {
      const items = list!.getChildren(list!.name === 'subscriptions' ? 'subscription' : 'affiliation');
      changes.push({ kind: list!.name, node, items: items.map((i) => ({ ...i.attrs })) });
      return Promise.resolve(xml('iq', { type: 'result' }));
    }
    const entries =
      list!.name === 'subscriptions'
        ? (nodes.subscriptions ?? []).map((s) => xml('subscription', s))
        : (nodes.affiliations ?? []).map((a) => xml('affiliation', a));
    return Promise.resolve(
      xml('iq', { type: 'result' }, xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml(list!.name, { node }, ...entries))),
    );
  };
  return { admin: { iq: { request }, bareJid: () => `admin@${DOMAIN}` }, changes };
}

describe('JIDs from the pubsub service are compared as JIDs (RFC 7622), not split by hand', () => {
  it("revoking alice ends every subscription of hers, whatever the case or the resource's characters, and no one else's", async () => {
    const { admin, changes } = fakeAdmin({
      subscriptions: [
        { jid: 'Alice@Desk.Localhost/phone', subscription: 'subscribed' },
        { jid: 'alice@desk.localhost/tab@1/x', subscription: 'subscribed' },
        { jid: 'bob@desk.localhost/alice@desk.localhost', subscription: 'subscribed' },
      ],
    });
    await entitle(admin, PUBSUB, `alice@${DOMAIN}`, ['BTCUSDT'], 'none');
    const ended = changes.filter((c) => c.kind === 'subscriptions' && c.node === ticksNode('BTCUSDT'));
    expect(ended.flatMap((c) => c.items.map((i) => i.jid))).toEqual([
      'Alice@Desk.Localhost/phone',
      'alice@desk.localhost/tab@1/x',
    ]);
    expect(changes.filter((c) => c.kind === 'affiliations').map((c) => c.node)).toEqual([
      ticksNode('BTCUSDT'),
      barsNode('BTCUSDT'),
    ]);
  });

  it("an instrument's readers are the desk's users by local part: case-mapped, other domains left out", async () => {
    const { admin } = fakeAdmin({
      affiliations: [
        { jid: 'Alice@DESK.localhost', affiliation: 'member' },
        { jid: `bob@${DOMAIN}`, affiliation: 'member' },
        { jid: `mallory@evil@${DOMAIN}`, affiliation: 'member' },
        { jid: `eve@other.example/x@${DOMAIN}`, affiliation: 'member' },
        { jid: DOMAIN, affiliation: 'member' },
        { jid: `carol@${DOMAIN}`, affiliation: 'outcast' },
      ],
    });
    const directory = createAccountDirectory({
      admin: admin as unknown as XmppClient,
      redis: {} as Redis,
      domain: DOMAIN,
      pubsubHost: PUBSUB,
      instruments: INSTRUMENTS,
      log: pino({ level: 'silent' }),
    });
    expect([...((await directory.members()).get('BTCUSDT') ?? [])].sort()).toEqual(['alice', 'bob']);
  });
});
