import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import {
  createXmppClient,
  markerFor,
  presence,
  presenceSubscription,
  receiptFor,
  xml,
  type Element,
  type XmppClient,
} from '@tickdesk/xmpp';
import { startPeeredDesks, type PeeredDesks } from './peered-desks.js';

const log = pino({ level: 'silent' });
const SYMBOL = DEFAULT_INSTRUMENTS[0]!.symbol;
const ALERTS_A = 'alerts@desk.localhost';
const REMOTE = 'bob@deskb.localhost';
const NS_ROSTER = 'jabber:iq:roster';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

interface Step {
  event: string;
  detail?: string;
}

let desks: PeeredDesks;
const sessions: XmppClient[] = [];
let failed = false;

beforeAll(async () => {
  // A receipt timeout well past the test's steps: no resend or escalation but the ones a case causes.
  desks = await startPeeredDesks({
    env: { a: { TICKDESK_ALERTS_RECEIPT_TIMEOUT_MS: '120000' }, b: { TICKDESK_FEED_RATE: '20' } },
  });
});

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') failed = true;
});

afterAll(async () => {
  for (const s of sessions.splice(0)) await s.stop().catch(() => undefined);
  await desks?.stop(failed);
});

/** Desk A's REST API as one of its users. */
async function restA(user: string) {
  const { password } = desks.a.account(user);
  const login = await fetch(`${desks.a.apiUrl}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jid: `${user}@desk.localhost`, password }),
  });
  if (login.status !== 200) throw new Error(`login as ${user}: ${login.status} ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };
  return async <T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T; text: string }> => {
    const res = await fetch(`${desks.a.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (an export): the text is the body
    }
    return { status: res.status, body: parsed as T, text };
  };
}
type Rest = Awaited<ReturnType<typeof restA>>;

/**
 * A session of a desk-B account that has not announced itself yet: listeners go on before
 * its initial presence, which is what releases stored messages and subscription requests.
 */
async function sessionB(user: string, resource: string): Promise<XmppClient> {
  const client = createXmppClient({
    service: `xmpp://127.0.0.1:${desks.b.ports.xmpp}`,
    domain: desks.b.domain,
    username: user,
    password: desks.b.account(user).password,
    ca: readFileSync(desks.b.caPath, 'utf8'),
    log,
    resource,
  });
  await client.start();
  sessions.push(client);
  return client;
}

const roster = async (c: XmppClient) =>
  (await c.iq.request(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER }))))
    .getChild('query', NS_ROSTER)
    ?.getChildren('item') ?? [];

/** Alert messages (their ids) a session receives. */
function alertsReceived(c: XmppClient): string[] {
  const ids: string[] = [];
  c.on('stanza', (st: Element) => {
    if (st.name === 'message' && st.attrs.type === 'chat' && st.getChild('request', 'urn:xmpp:receipts'))
      ids.push(String(st.attrs.id));
  });
  return ids;
}

async function lastPrice(rest: Rest): Promise<number> {
  const res = await rest<{ price: string }>('GET', `/v1/instruments/${SYMBOL}/last`);
  if (res.status !== 200) throw new Error(`last price: ${res.status} ${res.text}`);
  return Number(res.body.price);
}

/** A rule of alice's that fires at the next tick, addressed to `recipient`; the id of its alert. */
async function fire(rest: Rest, extra: Record<string, string>): Promise<string> {
  const threshold = ((await lastPrice(rest)) * 0.5).toFixed(2);
  const rule = await rest<{ id: string }>('POST', '/v1/rules', {
    symbol: SYMBOL,
    condition: 'greater-than',
    threshold,
    frequency: 'once',
    priority: 'normal',
    ...extra,
  });
  expect(rule.status, rule.text).toBe(201);
  return until('the alert of the rule', async () => {
    const res = await rest<{ alerts?: Array<{ id: string; ruleId: string }> }>('GET', `/v1/alerts?symbol=${SYMBOL}`);
    return res.body.alerts?.find((a) => a.ruleId === rule.body.id)?.id;
  });
}

const alertOf = async (rest: Rest, id: string) =>
  (await rest<{ state: string; recipient: string; addressee?: string; lifecycle: Step[] }>('GET', `/v1/alerts/${id}`))
    .body;

/** Desk A's engine's log lines that ignored a confirmation of `id` from `from`. */
const ignoredFrom = (id: string, from: string): number =>
  readFileSync(join(desks.a.home, 'logs', 'alerts.log'), 'utf8')
    .split('\n')
    .filter(
      (l) => l.includes('not the recipient ignored') && l.includes(`"id":"${id}"`) && l.includes(`"from":"${from}`),
    ).length;

describe("alerts to a partner desk's trader, with receipts across the s2s link", () => {
  let rest: Rest;
  let bob: XmppClient;

  beforeAll(async () => {
    rest = await restA('alice');
  });

  it('a rule naming a trader of an unlisted domain is refused with a 422 naming the field', async () => {
    const res = await rest<{ code: string; message: string }>('POST', '/v1/rules', {
      symbol: SYMBOL,
      condition: 'greater-than',
      threshold: '1',
      frequency: 'once',
      priority: 'normal',
      recipient: 'bob@unknown.localhost',
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('TICKDESK_API_INVALID_RULE');
    expect(res.body.message).toMatch(/recipient.*not one of this desk's peers/);
  });

  it('naming the remote trader asks for their presence across the link; their approval subscribes desk A', async () => {
    bob = await sessionB('bob', 'phone');
    // RFC 6121 §3.1.3: a subscription request reaches a resource that fetched the roster.
    await roster(bob);
    bob.on('stanza', (st: Element) => {
      if (st.name === 'presence' && st.attrs.type === 'subscribe' && String(st.attrs.from).startsWith(ALERTS_A))
        void bob.send(presenceSubscription(ALERTS_A, 'subscribed'));
    });
    await bob.send(presence('available'));
    // A rule far from the price names bob@deskb: the engine asks for his presence at once.
    const threshold = ((await lastPrice(rest)) * 100).toFixed(2);
    const named = await rest('POST', '/v1/rules', {
      symbol: SYMBOL,
      condition: 'greater-than',
      threshold,
      frequency: 'once',
      priority: 'normal',
      recipient: REMOTE,
    });
    expect(named.status, named.text).toBe(201);
    await until('desk A subscribed to bob@deskb', async () =>
      (await roster(bob)).some(
        (i) => i.attrs.jid === ALERTS_A && ['from', 'both'].includes(String(i.attrs.subscription)),
      ),
    );
    await sleep(1_000); // bob's presence, sent on approval (§3.1.5), crosses the link
  });

  it('online: the alert is sent to the remote trader alone, a receipt or marker forged by another desk-B account does not count, theirs make it delivered, displayed and acknowledged', async () => {
    const received = alertsReceived(bob);
    // The backup (desk A's bob) is told only if the remote recipient were offline.
    const id = await fire(rest, { recipient: REMOTE, backup: 'bob' });
    await until(`alert ${id} at bob@deskb`, async () => received.includes(id));
    const sent = await alertOf(rest, id);
    expect(sent.lifecycle).toContainEqual(expect.objectContaining({ event: 'sent', detail: `to=${REMOTE}` }));
    expect(sent.lifecycle.map((s) => s.event)).not.toContain('escalated');

    const ana = await sessionB('ana', 'forger');
    await ana.send(presence('available'));
    await ana.send(receiptFor(ALERTS_A, id));
    await until('the forged receipt ignored', async () => ignoredFrom(id, 'ana@deskb.localhost/forger') === 1);
    expect((await alertOf(rest, id)).lifecycle.map((s) => s.event)).not.toContain('delivered');

    await bob.send(receiptFor(ALERTS_A, id));
    const delivered = await until('delivered', async () => {
      const a = await alertOf(rest, id);
      return a.state === 'delivered' && a;
    });
    expect(delivered.lifecycle.filter((s) => s.event === 'delivered')).toEqual([
      expect.objectContaining({ detail: `by=${REMOTE}` }),
    ]);
    // XEP-0333 markers across the link count as receipts do: only from the recipient's bare JID.
    await ana.send(markerFor(ALERTS_A, id, 'displayed'));
    await until('the forged marker ignored', async () => ignoredFrom(id, 'ana@deskb.localhost/forger') === 2);
    expect((await alertOf(rest, id)).lifecycle.map((s) => s.event)).not.toContain('displayed');
    await bob.send(markerFor(ALERTS_A, id, 'displayed'));
    await bob.send(markerFor(ALERTS_A, id, 'acknowledged'));
    const read = await until('displayed and acknowledged', async () => {
      const a = await alertOf(rest, id);
      return a.lifecycle.some((s) => s.event === 'acknowledged') && a;
    });
    expect(read.lifecycle.filter((s) => ['displayed', 'acknowledged'].includes(s.event))).toEqual([
      expect.objectContaining({ event: 'displayed', detail: `by=${REMOTE}` }),
      expect.objectContaining({ event: 'acknowledged', detail: `by=${REMOTE}` }),
    ]);
    // The audit chain holds the steps, naming the remote JID.
    const audit = await (await restA('carol'))('GET', '/v1/audit/export');
    expect(audit.status).toBe(200);
    const records = audit.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { alertId: string; event: string; detail?: string });
    expect(records.filter((r) => r.alertId === id).map((r) => [r.event, r.detail])).toEqual(
      expect.arrayContaining([
        ['sent', `to=${REMOTE}`],
        ['delivered', `by=${REMOTE}`],
        ['displayed', `by=${REMOTE}`],
        ['acknowledged', `by=${REMOTE}`],
      ]),
    );
  });

  it('offline: the alert waits at the partner desk and comes again, same id, when the trader is back; delivered, none lost', async () => {
    await bob.stop();
    sessions.splice(sessions.indexOf(bob), 1);
    await sleep(1_500); // bob's unavailable presence crosses the link
    const id = await fire(rest, { recipient: REMOTE });
    await until('sent to offline bob@deskb', async () =>
      (await alertOf(rest, id)).lifecycle.some((s) => s.event === 'sent'),
    );
    bob = await sessionB('bob', 'desk');
    const received = alertsReceived(bob);
    await bob.send(presence('available'));
    await until(`alert ${id} at bob@deskb after his return`, async () => received.includes(id));
    // Back online: desk A sends it again (same id) as for a local trader.
    await until('resent on return', async () =>
      (await alertOf(rest, id)).lifecycle.some((s) => s.event === 'resent' && s.detail?.endsWith(`to=${REMOTE}`)),
    );
    expect(new Set(received.filter((r) => r === id)).size).toBe(1);
    await bob.send(receiptFor(ALERTS_A, id));
    const done = await until('delivered', async () => {
      const a = await alertOf(rest, id);
      return a.state === 'delivered' && a;
    });
    expect(done.lifecycle.map((s) => s.event)).toEqual(
      expect.arrayContaining(['fired', 'sent', 'resent', 'delivered']),
    );
  });

  it('the link down: the alert bounces at desk A, and is resent (same id) once desk B is back; delivered, none lost', async () => {
    await bob.stop();
    sessions.splice(sessions.indexOf(bob), 1);
    await sleep(1_500);
    await desks.b.stop();
    // Nothing reaches desk B now: no offline storage there will keep this one.
    const id = await fire(rest, { recipient: REMOTE });
    await until('sent while the link is down', async () =>
      (await alertOf(rest, id)).lifecycle.some((s) => s.event === 'sent'),
    );
    await desks.b.start();
    bob = await sessionB('bob', 'desk');
    const received = alertsReceived(bob);
    await bob.send(presence('available'));
    await until(`alert ${id} at bob@deskb once the link is back`, async () => received.includes(id));
    const resent = (await alertOf(rest, id)).lifecycle.filter((s) => s.event === 'resent');
    expect(resent.at(-1)?.detail).toMatch(new RegExp(`to=${REMOTE}$`));
    await bob.send(receiptFor(ALERTS_A, id));
    await until('delivered', async () => (await alertOf(rest, id)).state === 'delivered');
  });
});
