import { readFileSync } from 'node:fs';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeTickRows, ticksNode } from '@tickdesk/schemas';
import { createItemSubscriber, createPubsub, xml, type Element, type XmppClient } from '@tickdesk/xmpp';
import { until } from '../support/private-redis.js';
import { startPeeredDesks, type PeeredDesks } from './peered-desks.js';

const log = pino({ level: 'silent' });
const PUBSUB_A = 'pubsub.desk.localhost';
const NODE = ticksNode('BTCUSDT');
const ANA = 'ana@deskb.localhost';
const TICKS = 1_000;

let desks: PeeredDesks;
let token = '';
const clients: XmppClient[] = [];
let failed = false;

const connect = async (desk: 'a' | 'b', user: string) => {
  const client = await desks[desk].connect(user, `ejabberd-federation-${clients.length}`);
  clients.push(client);
  return client;
};

/** The error reply to a stanza `id`, as the client receives it. */
function errorReply(client: XmppClient, id: string): Promise<Element> {
  return new Promise((resolve) => {
    const on = (st: Element) => {
      if (st.attrs.id !== id || st.attrs.type !== 'error') return;
      client.off('stanza', on);
      resolve(st);
    };
    client.on('stanza', on);
  });
}

beforeAll(async () => {
  // Desk A on ejabberd, desk B on Prosody: 2,000 ticks/s over 8 instruments on desk A.
  desks = await startPeeredDesks({
    servers: { a: 'ejabberd', b: 'prosody' },
    env: { a: { TICKDESK_FEED_RATE: '2000' }, b: { TICKDESK_FEED_RATE: '20' } },
  });
  const login = await fetch(`${desks.a.apiUrl}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jid: 'admin@desk.localhost', password: desks.a.account('admin').password }),
  });
  expect(login.status).toBe(200);
  token = ((await login.json()) as { token: string }).token;
});

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') failed = true;
});

afterAll(async () => {
  for (const c of clients) await c.stop().catch(() => undefined);
  await desks?.stop(failed);
});

describe('a desk on ejabberd peered with a desk on Prosody', () => {
  it(`a Prosody desk's analyst granted over REST on the ejabberd desk receives ${TICKS}+ ticks with contiguous seq`, async () => {
    const grant = await fetch(`${desks.a.apiUrl}/v1/remote-entitlements/${ANA}/BTCUSDT`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(grant.status).toBe(204);
    const ana = await connect('b', 'ana');
    const items: Array<{ first: number; last: number; count: number }> = [];
    const sub = createItemSubscriber({
      client: ana,
      service: PUBSUB_A,
      nodes: [NODE],
      decode: decodeTickRows,
      log,
      onItem: (b) => items.push({ first: b.rows[0]!.seq, last: b.rows.at(-1)!.seq, count: b.rows.length }),
    });
    await sub.start();
    const ticks = () => items.reduce((n, i) => n + i.count, 0);
    await until(() => ticks() >= TICKS, 60_000);
    await sub.stop();
    await createPubsub(ana, PUBSUB_A).unsubscribe(NODE);
    expect(items.slice(1).filter((it, k) => it.first !== items[k]!.last + 1)).toEqual([]);
    // The grant is all it gets: publishing on desk A's node is refused.
    await expect(createPubsub(ana, PUBSUB_A).publish(NODE, xml('x', { xmlns: 'urn:example' }))).rejects.toMatchObject({
      condition: 'forbidden',
    });
  });

  // ejabberd's answer to a subscribe the whitelist refuses (XEP-0060 §6.1.3.4); Prosody's is <forbidden/>.
  it('a Prosody desk account without a grant is refused by the ejabberd desk with <not-allowed/>', async () => {
    const bob = await connect('b', 'bob');
    await expect(createPubsub(bob, PUBSUB_A).subscribe(NODE)).rejects.toMatchObject({ condition: 'not-allowed' });
  });

  it('a domain that is not a peer gets no link from the ejabberd desk: the stanza bounces with <forbidden/>', async () => {
    const alice = await connect('a', 'alice');
    const bounced = errorReply(alice, 'unknown-1');
    await alice.send(
      xml('message', { to: 'trader@unknown.localhost', type: 'chat', id: 'unknown-1' }, xml('body', {}, 'hi')),
    );
    const error = (await bounced).getChild('error');
    // s2s_access allows the peer domains only: ejabberd refuses before any lookup or connection.
    expect(error?.getChild('forbidden', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
    expect(error?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBe('Access denied by service policy');
    expect(readFileSync(desks.a.xmppLog, 'utf8')).not.toMatch(/s2s connection \S+ -> unknown\.localhost/);
  });

  it('the links were authenticated by certificate (SASL EXTERNAL), both ways, never by dialback', () => {
    const logA = readFileSync(desks.a.xmppLog, 'utf8');
    const logB = readFileSync(desks.b.xmppLog, 'utf8');
    // ejabberd: the Prosody desk's link in, and its own link out (found through the desk's resolver).
    expect(logA).toMatch(/Accepted inbound s2s EXTERNAL authentication deskb\.localhost -> (pubsub\.)?desk\.localhost/);
    expect(logA).toMatch(
      /Accepted outbound s2s EXTERNAL authentication (pubsub\.)?desk\.localhost -> deskb\.localhost/,
    );
    expect(logB).toMatch(/Accepting SASL EXTERNAL identity from (pubsub\.)?desk\.localhost/);
    expect(logA + logB).not.toMatch(/dialback/i);
  });
});
