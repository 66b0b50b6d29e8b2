import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureCertificates } from '@tickdesk/infra';
import { decodeTickRows, DEFAULT_INSTRUMENTS, ticksNode } from '@tickdesk/schemas';
import { createItemSubscriber, createPubsub, xml, type Element, type XmppClient } from '@tickdesk/xmpp';
import { startPeeredDesks, type PeeredDesks } from './peered-desks.js';

const log = pino({ level: 'silent' });
const SYMBOL = DEFAULT_INSTRUMENTS[0]!.symbol;
const NODE = ticksNode(SYMBOL);
const PUBSUB_A = 'pubsub.desk.localhost';
const TICKS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The reply (result or error) to a message or IQ `id`, as the client receives it. */
function replyTo(client: XmppClient, id: string): Promise<Element> {
  return new Promise((resolve) => {
    const on = (st: Element) => {
      if (st.attrs.id !== id || st.attrs.type !== 'error') return;
      client.off('stanza', on);
      resolve(st);
    };
    client.on('stanza', on);
  });
}

const errorCondition = (st: Element) =>
  st
    .getChild('error')
    ?.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text')
    ?.name.toString();

let desks: PeeredDesks;
const sessions: Array<{ desk: 'a' | 'b'; client: XmppClient }> = [];
let failed = false;

beforeAll(async () => {
  // Desk A's feed fast enough for 1,000 ticks of one instrument in seconds (8 instruments share the rate).
  desks = await startPeeredDesks({ env: { a: { TICKDESK_FEED_RATE: '2000' }, b: { TICKDESK_FEED_RATE: '20' } } });
});

// A failed case keeps both desks' folders (logs, configs) for the report.
afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') failed = true;
});

afterAll(async () => {
  await closeSessions('a');
  await closeSessions('b');
  await desks?.stop(failed);
});

const connect = async (desk: 'a' | 'b', user: string) => {
  const client = await desks[desk].connect(user);
  sessions.push({ desk, client });
  return client;
};

/** Before a desk restarts: a session left open would reconnect with the same resource and take turns with a new one. */
async function closeSessions(desk: 'a' | 'b'): Promise<void> {
  for (const s of sessions.filter((x) => x.desk === desk)) {
    sessions.splice(sessions.indexOf(s), 1);
    await s.client.stop().catch(() => undefined);
  }
}

describe('two desks peered over XMPP server-to-server (Prosody)', () => {
  it(`a desk-B analyst with a member affiliation on desk A's ${NODE} receives ${TICKS}+ ticks with contiguous seq`, async () => {
    const admin = await connect('a', 'admin');
    // Desk A's whitelist decides: its admin co-owns every instrument node.
    await createPubsub(admin, PUBSUB_A).setAffiliations(NODE, [{ jid: 'ana@deskb.localhost', affiliation: 'member' }]);
    const ana = await connect('b', 'ana');
    const items: Array<{ first: number; last: number; count: number; conflated: number }> = [];
    const sub = createItemSubscriber({
      client: ana,
      service: PUBSUB_A,
      nodes: [NODE],
      decode: decodeTickRows,
      log,
      onItem: (b) =>
        items.push({ first: b.rows[0]!.seq, last: b.rows.at(-1)!.seq, count: b.rows.length, conflated: b.conflated }),
    });
    await sub.start();
    const ticks = () => items.reduce((n, i) => n + i.count, 0);
    await until(`${TICKS} ticks over the link`, () => ticks() >= TICKS);
    await sub.stop();
    await createPubsub(ana, PUBSUB_A).unsubscribe(NODE);
    const jumps = items.slice(1).filter((it, k) => it.first !== items[k]!.last + 1);
    expect(jumps).toEqual([]);
    expect(items.reduce((n, i) => n + i.conflated, 0)).toBe(0);
    expect(ticks()).toBeGreaterThanOrEqual(TICKS);
    // Remote accounts get no more than their affiliation: no publishing on desk A's nodes.
    await expect(createPubsub(ana, PUBSUB_A).publish(NODE, xml('x', { xmlns: 'urn:example' }))).rejects.toMatchObject({
      condition: 'forbidden',
    });
  });

  it('a desk-B account without an affiliation is refused with <forbidden/>', async () => {
    const bob = await connect('b', 'bob');
    await expect(createPubsub(bob, PUBSUB_A).subscribe(NODE)).rejects.toMatchObject({ condition: 'forbidden' });
    await expect(createPubsub(bob, PUBSUB_A).items(NODE, 1)).rejects.toMatchObject({ condition: 'forbidden' });
  });

  it('a domain that is not a peer gets no link: the stanza bounces with remote-server-not-found', async () => {
    const alice = await connect('a', 'alice');
    const bounced = replyTo(alice, 'unknown-1');
    await alice.send(
      xml('message', { to: 'trader@unknown.localhost', type: 'chat', id: 'unknown-1' }, xml('body', {}, 'hi')),
    );
    const reply = await bounced;
    expect(errorCondition(reply)).toBe('remote-server-not-found');
    expect(reply.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toContain(
      'not a federated domain',
    );
    expect(readFileSync(desks.a.xmppLog, 'utf8')).toMatch(/No link to unknown\.localhost \(not a federated domain\)/);
  });

  it('the links were authenticated by certificate (SASL EXTERNAL over TLS), never by dialback, and used both ways (XEP-0288)', () => {
    const logA = readFileSync(desks.a.xmppLog, 'utf8');
    const logB = readFileSync(desks.b.xmppLog, 'utf8');
    const both = logA + logB;
    expect(both).toMatch(/Accepting SASL EXTERNAL identity from (desk|deskb)\.localhost/);
    expect(both).toMatch(/Stream encrypted \(TLSv1\.[23] with/);
    expect(both).toMatch(/Outgoing s2s connection deskb\.localhost->(pubsub\.)?desk\.localhost complete/);
    expect(both).not.toMatch(/dialback/i);
    // XEP-0288: desk A's pubsub service sent every tick back over desk B's link, opening none of its own.
    expect(logA).not.toMatch(/Outgoing s2s connection (pubsub\.)?desk\.localhost->deskb\.localhost/);
  });

  it("with the peer's CA no longer trusted: no link, and a stanza to the peer bounces, logged with the cause", async () => {
    const stray = mkdtempSync(join(tmpdir(), 'tickdesk-stray-ca-'));
    try {
      // Desk B trusts another CA in place of desk A's (as if A's certificate were swapped).
      const strayCa = ensureCertificates(stray, 'stray.localhost').caCert;
      await closeSessions('b');
      await desks.b.stop();
      desks.b.setPeers([{ ...desks.a.asPeer(), ca: strayCa }]);
      const before = readFileSync(desks.b.xmppLog, 'utf8').length;
      await desks.b.start();
      const bob = await connect('b', 'bob');
      const bounced = replyTo(bob, 'untrusted-1');
      await bob.send(
        xml('message', { to: 'alice@desk.localhost', type: 'chat', id: 'untrusted-1' }, xml('body', {}, 'hi')),
      );
      const reply = await bounced;
      expect(errorCondition(reply)).toMatch(/^remote-server-(not-found|timeout)$/);
      const logB = readFileSync(desks.b.xmppLog, 'utf8').slice(before);
      expect(logB).toMatch(
        /Forbidding insecure connection to\/from desk\.localhost because its certificate is not trusted/,
      );
      expect(logB).not.toMatch(/s2s connection \S+->\S*desk\.localhost complete/);
      expect(logB).not.toMatch(/dialback/i);
    } finally {
      rmSync(stray, { recursive: true, force: true });
    }
  });
});
