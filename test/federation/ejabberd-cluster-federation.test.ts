import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createItemSubscriber, createPubsub, xml, type Element, type XmppClient } from '@tickdesk/xmpp';
import { decodeTickRows, parseDeskState, ticksNode } from '@tickdesk/schemas';
import { startPeeredDesks, type PeeredDesks } from './peered-desks.js';
import { until } from '../support/private-redis.js';

const TICKS = 500;
const SYMBOL = 'ETHUSDT';
const ANA = 'ana@deskb.localhost';
const PUBSUB_A = 'pubsub.desk.localhost';
/** Node 2 of desk A: node 1's ports + 100 (services/desk/src/config.ts XMPP_NODE_PORT_STEP). */
const NODE_2 = 2;

let desks: PeeredDesks;
const clients: XmppClient[] = [];
let failed = false;

const sessionOn = async (desk: 'a' | 'b', user: string, node = 1) => {
  const client = await desks[desk].connect(user, `cluster-federation-${clients.length}`, node);
  clients.push(client);
  return client;
};

/** The chat bodies `client` receives from now on, with their sender's bare JID. */
function chatsOf(client: XmppClient): Array<{ from: string; body: string }> {
  const got: Array<{ from: string; body: string }> = [];
  client.on('stanza', (st: Element) => {
    const body = st.is('message') ? st.getChildText('body') : null;
    if (body !== null && typeof st.attrs.from === 'string') got.push({ from: st.attrs.from.split('/')[0]!, body });
  });
  return got;
}

/** The first bytes an s2s listener answers to a stream header from deskb.localhost (RFC 6120 §4.3). */
function s2sGreeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' " +
          "from='deskb.localhost' to='desk.localhost' version='1.0'>",
      ),
    );
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no stream features on port ${port} in 10 s`)));
    socket.on('data', (d) => {
      text += d.toString('utf8');
      if (text.includes('</stream:features>')) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  // Desk A: an ejabberd cluster of two nodes, peered with desk B on Prosody, which lists node 1.
  desks = await startPeeredDesks({
    servers: { a: 'ejabberd', b: 'prosody' },
    nodes: { a: 2 },
    env: { a: { TICKDESK_FEED_RATE: '1000' }, b: { TICKDESK_FEED_RATE: '20' } },
  });
});

// A failed case keeps both desks' folders (logs, rendered configs) for the report.
afterEach(({ task }) => {
  if (task.result?.state === 'fail') failed = true;
});

afterAll(async () => {
  for (const client of clients) await client.stop().catch(() => undefined);
  await desks?.stop(failed);
});

describe('a desk on a two-node ejabberd cluster peered with a desk on Prosody', () => {
  it('each node has its own s2s listener (node 2 on TICKDESK_S2S_PORT + 100), TLS required', async () => {
    for (const port of [desks.a.ports.s2s, desks.a.ports.s2s + 100]) {
      const features = await s2sGreeting(port);
      expect(features).toMatch(/<starttls xmlns=['"]urn:ietf:params:xml:ns:xmpp-tls['"]>\s*<required\/>/);
    }
  });

  it(`a Prosody desk's analyst granted on the cluster receives ${TICKS}+ ticks with contiguous seq; one without a grant is refused`, async () => {
    const admin = await desks.a.apiToken('admin');
    const grant = await fetch(`${desks.a.apiUrl}/v1/remote-entitlements/${ANA}/${SYMBOL}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(grant.status).toBe(204);
    const ana = await sessionOn('b', 'ana');
    const seqs: number[] = [];
    const sub = createItemSubscriber({
      client: ana,
      service: PUBSUB_A,
      nodes: [ticksNode(SYMBOL)],
      decode: decodeTickRows,
      log: pino({ level: 'silent' }),
      onItem: (batch: { rows: ReadonlyArray<{ seq: number }> }) => seqs.push(...batch.rows.map((r) => r.seq)),
    });
    await sub.start();
    await until(() => seqs.length >= TICKS, 60_000);
    await sub.stop();
    expect(seqs.filter((seq, i) => i > 0 && seq !== seqs[i - 1]! + 1)).toEqual([]);
    const bob = await sessionOn('b', 'bob');
    await expect(createPubsub(bob, PUBSUB_A).subscribe(ticksNode(SYMBOL))).rejects.toMatchObject({
      condition: 'not-allowed',
    });
  });

  it("chat crosses the link both ways for a user on the cluster's second node", async () => {
    const alice = await sessionOn('a', 'alice', NODE_2);
    const ana = await sessionOn('b', 'ana');
    const toAna = chatsOf(ana);
    const toAlice = chatsOf(alice);
    await alice.send(xml('message', { to: ANA, type: 'chat' }, xml('body', {}, 'from node 2')));
    await until(() => toAna.some((m) => m.body === 'from node 2'), 30_000);
    expect(toAna.find((m) => m.body === 'from node 2')?.from).toBe('alice@desk.localhost');
    // In at node 1's listener (the one desk B's peers file names), delivered on node 2.
    await ana.send(xml('message', { to: 'alice@desk.localhost', type: 'chat' }, xml('body', {}, 'to node 2')));
    await until(() => toAlice.some((m) => m.body === 'to node 2'), 30_000);
    expect(toAlice.find((m) => m.body === 'to node 2')?.from).toBe(ANA);
  });

  it('every link was authenticated by certificate, never by dialback; node 2 opened its own link out', async () => {
    const node2Log = join(desks.a.home, 'ejabberd-2', 'logs', 'ejabberd.log');
    // No desk.localhost -> deskb.localhost link existed before node 2's message, so node 2 opened it,
    // finding desk B through its own resolver. Its logger writes a moment after the message went through.
    const outOfNode2 = /Accepted outbound s2s EXTERNAL authentication desk\.localhost -> deskb\.localhost/;
    await until(() => outOfNode2.test(readFileSync(node2Log, 'utf8')), 10_000).catch(() => undefined);
    const logA = readFileSync(desks.a.xmppLog, 'utf8');
    const logA2 = readFileSync(node2Log, 'utf8');
    const logB = readFileSync(desks.b.xmppLog, 'utf8');
    expect(logA2).toMatch(outOfNode2);
    expect(logA).toMatch(/Accepted inbound s2s EXTERNAL authentication deskb\.localhost -> (pubsub\.)?desk\.localhost/);
    expect(logB).toMatch(/Accepting SASL EXTERNAL identity from (pubsub\.)?desk\.localhost/);
    expect(logA + logA2 + logB).not.toMatch(/dialback/i);
  });

  it("node 2 killed: up starts it again with a new resolver of the peers, and its users' messages reach desk B again", async () => {
    const node2Log = join(desks.a.home, 'ejabberd-2', 'logs', 'ejabberd.log');
    const outbound = () =>
      readFileSync(node2Log, 'utf8').match(/Accepted outbound s2s EXTERNAL authentication desk\.localhost -> deskb/g)
        ?.length ?? 0;
    const node2 = () => parseDeskState(readFileSync(join(desks.a.home, 'desk.json'), 'utf8'))?.parts?.['xmpp-2'];
    const killed = node2()!;
    const linksBefore = outbound();
    process.kill(killed.pid, 'SIGKILL');
    // The supervisor writes the new pid and the restart count as it learns them: wait for both.
    await until(
      () => node2()?.state === 'running' && node2()?.pid !== killed.pid && node2()!.restarts > killed.restarts,
      120_000,
    );
    expect(node2()!.restarts).toBe(killed.restarts + 1);
    const alice = await sessionOn('a', 'alice', NODE_2);
    const ana = await sessionOn('b', 'ana');
    const toAna = chatsOf(ana);
    await alice.send(xml('message', { to: ANA, type: 'chat' }, xml('body', {}, 'node 2 is back')));
    await until(() => toAna.some((m) => m.body === 'node 2 is back'), 30_000);
    // Node 2's link died with it; the restarted node found desk B through the responder started with it.
    await until(() => outbound() > linksBefore, 10_000).catch(() => undefined);
    expect(outbound()).toBe(linksBefore + 1);
  });
});
