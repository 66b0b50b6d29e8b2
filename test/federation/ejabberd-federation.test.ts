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

/** Every `type='error'` stanza the client receives from now on, by id. */
function errorsOf(client: XmppClient): Map<string, Element> {
  const byId = new Map<string, Element>();
  client.on('stanza', (st: Element) => {
    if (st.attrs.type === 'error' && typeof st.attrs.id === 'string') byId.set(st.attrs.id, st);
  });
  return byId;
}

beforeAll(async () => {
  // Desk A on ejabberd, desk B on Prosody: 2,000 ticks/s over 8 instruments on desk A.
  desks = await startPeeredDesks({
    servers: { a: 'ejabberd', b: 'prosody' },
    env: { a: { TICKDESK_FEED_RATE: '2000' }, b: { TICKDESK_FEED_RATE: '20' } },
  });
  token = await desks.a.apiToken('admin');
});

// A failed case keeps both desks' folders (logs, rendered configs) for the report.
afterEach((ctx) => {
  failed ||= ctx.task.result?.state === 'fail';
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
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
    const seqs: number[] = [];
    const onItem = (batch: { rows: ReadonlyArray<{ seq: number }> }) => seqs.push(...batch.rows.map((r) => r.seq));
    const sub = createItemSubscriber({
      client: ana,
      service: PUBSUB_A,
      nodes: [NODE],
      decode: decodeTickRows,
      log,
      onItem,
    });
    await sub.start();
    await until(() => seqs.length >= TICKS, 60_000);
    await sub.stop();
    await createPubsub(ana, PUBSUB_A).unsubscribe(NODE);
    // Contiguous: each tick's seq is the one before it + 1, across items too.
    expect(seqs.filter((seq, i) => i > 0 && seq !== seqs[i - 1]! + 1)).toEqual([]);
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
    const errors = errorsOf(alice);
    await alice.send(
      xml('message', { to: 'trader@unknown.localhost', type: 'chat', id: 'unknown-1' }, xml('body', {}, 'hi')),
    );
    await until(() => errors.has('unknown-1'), 30_000);
    const error = errors.get('unknown-1')?.getChild('error');
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
