import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureCertificates } from '@tickdesk/infra';
import { barsNode, decodeTickRows, ticksNode } from '@tickdesk/schemas';
import {
  createItemSubscriber,
  createPubsub,
  presenceSubscription,
  receiptFor,
  rosterEntry,
  xml,
  type Element,
  type XmppClient,
} from '@tickdesk/xmpp';
import { startPeeredDesks, type PeeredDesks } from './peered-desks.js';

const log = pino({ level: 'silent' });
const PUBSUB_A = 'pubsub.desk.localhost';
const ENGINE_A = 'alerts@desk.localhost';
const BOB = 'bob@deskb.localhost';
const ANA = 'ana@deskb.localhost';
const SYMBOL = 'BTCUSDT';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first truthy value `probe` gives within `ms`. */
async function waitFor<T>(
  label: string,
  probe: () => T | false | undefined | Promise<T | false | undefined>,
  ms = 60_000,
) {
  const end = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() > end) throw new Error(`still waiting for ${label} after ${ms / 1000} s`);
    await pause(250);
  }
}

/** The `<error/>` of the bounce of a chat message `id` that `client` sends to `to`. */
async function bounceOf(client: XmppClient, to: string, id: string): Promise<Element> {
  const bounced = new Promise<Element>((resolve) =>
    client.on('stanza', (st: Element) => {
      if (st.attrs.id === id && st.attrs.type === 'error') resolve(st);
    }),
  );
  await client.send(xml('message', { to, id, type: 'chat' }, xml('body', {}, 'hi')));
  const error = (await bounced).getChild('error');
  if (!error) throw new Error(`the bounce of ${id} has no <error/>`);
  return error;
}

let desks: PeeredDesks;
const open: XmppClient[] = [];
let failed = false;

const session = async (desk: 'a' | 'b', user: string) => {
  const c = await desks[desk].connect(user, `ejabberd-remote-${open.length}`);
  open.push(c);
  return c;
};

/** Desk A's REST API as `user`: status and parsed body (or the text, for an export). */
async function apiA(user: string) {
  const token = await desks.a.apiToken(user);
  return async <T = Record<string, unknown>>(method: string, path: string, body?: object) => {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${token}` } };
    if (body) {
      init.headers = { ...init.headers, 'content-type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    const res = await fetch(desks.a.apiUrl + path, init);
    const text = await res.text();
    const json = (() => {
      try {
        return JSON.parse(text) as T;
      } catch {
        return undefined;
      }
    })();
    return { status: res.status, json: json as T, text };
  };
}

interface AlertView {
  state: string;
  lifecycle: Array<{ event: string; detail?: string }>;
}

beforeAll(async () => {
  // Desk A on ejabberd, desk B on Prosody. No receipt timeout within a case: no resend but the ones it causes.
  desks = await startPeeredDesks({
    servers: { a: 'ejabberd', b: 'prosody' },
    env: {
      a: { TICKDESK_FEED_RATE: '800', TICKDESK_ALERTS_RECEIPT_TIMEOUT_MS: '120000' },
      b: { TICKDESK_FEED_RATE: '20' },
    },
  });
});

// A failed case keeps both desks' folders (logs, rendered configs) for the report.
afterEach((ctx) => {
  failed ||= ctx.task.result?.state === 'fail';
});

afterAll(async () => {
  await Promise.all(open.splice(0).map((c) => c.stop().catch(() => undefined)));
  await desks?.stop(failed);
});

describe('a desk on ejabberd with a Prosody partner desk: alerts, revocation, trust', () => {
  it("an alert to the partner's trader: presence asked and approved, the trader's receipt across the link makes it delivered, a forged one is ignored", async () => {
    const alice = await apiA('alice');
    const bob = await session('b', 'bob');
    // RFC 6121 §3.1.3: a subscription request goes to the resources that fetched the roster.
    await rosterEntry(bob.iq, ENGINE_A);
    const alerts: string[] = [];
    bob.on('stanza', (st: Element) => {
      if (st.name !== 'message' && st.name !== 'presence') return;
      if (!String(st.attrs.from).startsWith(ENGINE_A)) return;
      if (st.attrs.type === 'subscribe') void bob.send(presenceSubscription(ENGINE_A, 'subscribed'));
      if (st.name === 'message' && st.getChild('request', 'urn:xmpp:receipts')) alerts.push(String(st.attrs.id));
    });
    const last = await alice<{ price: string }>('GET', `/v1/instruments/${SYMBOL}/last`);
    expect(last.status, last.text).toBe(200);
    const rule = (threshold: number) =>
      alice<{ id: string }>('POST', '/v1/rules', {
        symbol: SYMBOL,
        condition: 'greater-than',
        threshold: threshold.toFixed(2),
        frequency: 'once',
        priority: 'normal',
        recipient: BOB,
        backup: 'bob',
      });
    // A rule far above the price names bob@deskb: the engine on ejabberd asks for his presence.
    expect((await rule(Number(last.json.price) * 100)).status).toBe(201);
    await waitFor('desk A subscribed to bob@deskb', async () =>
      ['from', 'both'].includes((await rosterEntry(bob.iq, ENGINE_A)).subscription),
    );
    // bob's presence, sent on approval (§3.1.5), crosses the link: the engine follows him as online.
    await waitFor('bob@deskb online at desk A', async () => {
      const p = await alice<{ traders: Array<{ trader: string; show: string; remote?: boolean }> }>(
        'GET',
        '/v1/presence',
      );
      return p.json.traders.some((t) => t.trader === BOB && t.remote === true && t.show === 'online');
    });

    const firing = await rule(Number(last.json.price) / 2);
    expect(firing.status, firing.text).toBe(201);
    const id = await waitFor('the alert of the firing rule', async () => {
      const list = await alice<{ alerts?: Array<{ id: string; ruleId: string }> }>(
        'GET',
        `/v1/alerts?symbol=${SYMBOL}`,
      );
      return list.json.alerts?.find((a) => a.ruleId === firing.json.id)?.id;
    });
    const view = async () => (await alice<AlertView>('GET', `/v1/alerts/${id}`)).json;
    await waitFor(`alert ${id} at bob@deskb`, () => alerts.includes(id));
    const sent = (await view()).lifecycle;
    expect(sent).toContainEqual(expect.objectContaining({ event: 'sent', detail: `to=${BOB}` }));
    // Online at desk B: desk A's own bob, the backup, is not told.
    expect(sent.map((s) => s.event)).not.toContain('escalated');

    // Another account of desk B confirms it: the engine ignores it (bare from must be the recipient).
    const ana = await session('b', 'ana');
    await ana.send(receiptFor(ENGINE_A, id));
    const engineLog = join(desks.a.home, 'logs', 'alerts.log');
    await waitFor('the forged receipt ignored', () =>
      readFileSync(engineLog, 'utf8')
        .split('\n')
        .some((l) => l.includes('not the recipient ignored') && l.includes(id) && l.includes(`"from":"${ANA}/`)),
    );
    expect((await view()).state).not.toBe('delivered');

    await bob.send(receiptFor(ENGINE_A, id));
    const done = await waitFor('delivered', async () => {
      const v = await view();
      return v.state === 'delivered' && v;
    });
    expect(done.lifecycle.filter((s) => s.event === 'delivered').map((s) => s.detail)).toEqual([`by=${BOB}`]);
    const audit = await (await apiA('carol'))('GET', '/v1/audit/export');
    expect(audit.status).toBe(200);
    const steps = audit.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { alertId: string; event: string; detail?: string })
      .filter((r) => r.alertId === id)
      .map((r) => `${r.event} ${r.detail ?? ''}`);
    expect(steps).toEqual(expect.arrayContaining([`sent to=${BOB}`, `delivered by=${BOB}`]));
  });

  it("a remote grant revoked over REST: the analyst's subscription goes first, no item published after the answer reaches them", async () => {
    const admin = await apiA('admin');
    const grant = `/v1/remote-entitlements/${ANA}/${SYMBOL}`;
    expect((await admin('PUT', grant)).status).toBe(204);
    const ana = await session('b', 'ana');
    // Each item's arrival time and the newest ingest time of its ticks (µs, this machine's clock).
    const arrivals: Array<{ at: number; ingest: number }> = [];
    const sub = createItemSubscriber({
      client: ana,
      service: PUBSUB_A,
      nodes: [ticksNode(SYMBOL)],
      decode: decodeTickRows,
      log,
      onItem: (b) => arrivals.push({ at: Date.now(), ingest: Math.max(...b.rows.map((r) => r.ingestMicros)) }),
    });
    await sub.start();
    await waitFor('items at the remote analyst', () => arrivals.length >= 20);
    expect(Math.abs(arrivals[0]!.ingest / 1000 - arrivals[0]!.at)).toBeLessThan(60_000); // both epoch, µs and ms

    const revoked = await admin('DELETE', grant);
    const answeredAt = Date.now();
    expect(revoked.status, revoked.text).toBe(204);
    await pause(3_000);
    await sub.stop();
    // Items desk A's server sent before the revocation may still be crossing the s2s link
    // when the answer comes; none published after it reaches the analyst.
    expect(arrivals.filter((a) => a.at > answeredAt && a.ingest >= answeredAt * 1000)).toEqual([]);

    const owner = createPubsub(await session('a', 'admin'), PUBSUB_A);
    for (const node of [ticksNode(SYMBOL), barsNode(SYMBOL)]) {
      expect((await owner.subscriptions(node)).map((s) => s.jid).filter((j) => j.startsWith(ANA))).toEqual([]);
      expect((await owner.affiliations(node)).map((a) => a.jid).filter((j) => j.startsWith(ANA))).toEqual([]);
    }
    // ejabberd's refusal of a subscribe the whitelist does not allow (XEP-0060 §6.1.3.4).
    await expect(createPubsub(ana, PUBSUB_A).subscribe(ticksNode(SYMBOL))).rejects.toMatchObject({
      condition: 'not-allowed',
    });
    expect((await admin('GET', '/v1/remote-entitlements')).json).toMatchObject({ grants: [], held: 0 });
  });

  it("with the partner's CA gone from ejabberd's s2s_cafile: no link, the stanza bounces with an error, the log names the certificate, no dialback", async () => {
    for (const c of open.splice(0)) await c.stop().catch(() => undefined);
    await desks.a.stop();
    // Desk A trusts another CA in place of desk B's (as if B's certificate were swapped).
    desks.a.setPeers([
      { ...desks.b.asPeer(), ca: ensureCertificates(join(desks.a.home, 'stray-ca'), 'stray.localhost').caCert },
    ]);
    const from = readFileSync(desks.a.xmppLog, 'utf8').length;
    await desks.a.start();
    // Desk A's link out: desk B's certificate no longer chains to a CA desk A trusts.
    const out = await bounceOf(await session('a', 'alice'), BOB, 'untrusted-1');
    expect(out.getChild('remote-server-timeout', NS_STANZAS)).toBeDefined();
    expect(out.getChildText('text', NS_STANZAS)).toMatch(/^Peer certificate rejected: /);
    // Desk B's link in: its certificate, offered for SASL EXTERNAL (XEP-0178), is refused too.
    const back = await bounceOf(await session('b', 'bob'), 'alice@desk.localhost', 'untrusted-2');
    expect(back.getChild('remote-server-timeout', NS_STANZAS)).toBeDefined();
    // ejabberd's log names the cause of each (its file handler may write a moment later).
    const causes = /Failed inbound s2s EXTERNAL authentication deskb\.localhost/;
    const logA = await waitFor('both refusals in ejabberd.log', () => {
      const text = readFileSync(desks.a.xmppLog, 'utf8').slice(from);
      return causes.test(text) && text;
    });
    expect(logA).toMatch(
      /Failed to establish outbound s2s connection desk\.localhost -> deskb\.localhost: Peer certificate rejected: self signed certificate in certificate chain/,
    );
    expect(logA).toMatch(
      /Failed inbound s2s EXTERNAL authentication deskb\.localhost -> desk\.localhost .*: self signed certificate in certificate chain/,
    );
    expect(logA).not.toMatch(/Accepted (in|out)bound s2s EXTERNAL authentication/);
    expect(logA + readFileSync(desks.b.xmppLog, 'utf8')).not.toMatch(/dialback/i);
  });
});
