import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { barsNode, decodeTickRows, ticksNode } from '@tickdesk/schemas';
import { createItemSubscriber, createPubsub, NS_PUBSUB_OWNER, xml, type XmppClient } from '@tickdesk/xmpp';
import { until } from '../support/private-redis.js';
import { startPeeredDesks, type PeeredDesks } from './peered-desks.js';

const log = pino({ level: 'silent' });
const PUBSUB_A = 'pubsub.desk.localhost';
const ANA = 'ana@deskb.localhost';
const BOB = 'bob@deskb.localhost';
const CLI = fileURLToPath(new URL('../../services/desk/dist/cli.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let desks: PeeredDesks;
let token = '';
const clients: XmppClient[] = [];
let failed = false;

/** A REST call to desk A as its admin. */
async function rest(method: string, path: string, body?: unknown) {
  const call = () =>
    fetch(`${desks.a.apiUrl}/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  // Once more on a kept-alive socket the API closed while idle (its keep-alive timeout): every call here is idempotent.
  const res = await call().catch(call);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> | undefined };
}

/** `tickdesk <args>` against desk A's folder, from the build, as an operator runs it. */
function tickdesk(...args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TICKDESK_|VITEST)/.test(k)));
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...env, TICKDESK_HOME: desks.a.home, TICKDESK_LOG_LEVEL: 'warn' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// One resource per session: a second session on the same resource replaces the first (RFC 6120 §7.7.2.2).
const connect = async (desk: 'a' | 'b', user: string) => {
  const client = await desks[desk].connect(user, `remote-entitlements-${clients.length}`);
  clients.push(client);
  return client;
};

/** Every tick row's seq that `client` receives from desk A's `node`, in arrival order, with the arrival time. */
async function collect(client: XmppClient, node: string) {
  const seqs: Array<{ seq: number; at: number }> = [];
  const sub = createItemSubscriber({
    client,
    service: PUBSUB_A,
    nodes: [node],
    decode: decodeTickRows,
    log,
    onItem: (b) => {
      const at = Date.now();
      for (const r of b.rows) seqs.push({ seq: r.seq, at });
    },
  });
  await sub.start();
  return { seqs, stop: () => sub.stop() };
}

/** The XMPP server's pid of a desk, as its supervisor last wrote it (desk.json). */
function xmppPid(home: string): number {
  const state = JSON.parse(readFileSync(join(home, 'desk.json'), 'utf8')) as {
    parts: Record<string, { pid?: number }>;
  };
  const pid = state.parts.xmpp?.pid;
  if (!pid) throw new Error('desk.json names no xmpp pid');
  return pid;
}

beforeAll(async () => {
  // 800 ticks/s over 8 instruments: about 100 a second on each node.
  desks = await startPeeredDesks({ env: { a: { TICKDESK_FEED_RATE: '800' }, b: { TICKDESK_FEED_RATE: '20' } } });
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

describe("a peer desk's accounts entitled by ours (REST and CLI)", () => {
  it('an analyst of desk B granted over REST receives ticks; revoked, no item arrives after the answer and the subscription is gone', async () => {
    expect((await rest('PUT', `/remote-entitlements/${ANA}/BTCUSDT`)).status).toBe(204);
    expect((await rest('GET', `/remote-entitlements/${ANA}`)).body).toEqual({ jid: ANA, symbols: ['BTCUSDT'] });
    const ana = await connect('b', 'ana');
    const got = await collect(ana, ticksNode('BTCUSDT'));
    await until(() => got.seqs.length >= 100, 60_000);

    const answer = await rest('DELETE', `/remote-entitlements/${ANA}/BTCUSDT`);
    const answeredAt = Date.now();
    expect(answer.status).toBe(204);
    const atAnswer = got.seqs.length;
    await sleep(3_000);
    await got.stop();
    expect(got.seqs.filter((s) => s.at > answeredAt)).toEqual([]);
    expect(got.seqs.length).toBe(atAnswer);

    const admin = await connect('a', 'admin');
    const owner = createPubsub(admin, PUBSUB_A);
    for (const node of [ticksNode('BTCUSDT'), barsNode('BTCUSDT')]) {
      expect((await owner.subscriptions(node)).filter((s) => s.jid.startsWith(ANA))).toEqual([]);
      expect((await owner.affiliations(node)).filter((a) => a.jid.startsWith(ANA))).toEqual([]);
    }
    await expect(createPubsub(ana, PUBSUB_A).subscribe(ticksNode('BTCUSDT'))).rejects.toMatchObject({
      condition: 'forbidden',
    });
    expect((await rest('GET', '/remote-entitlements')).body).toMatchObject({ grants: [], held: 0, max: 1000 });
  });

  it('refuses a JID of a domain that is not a peer, and a desk role for a remote account', async () => {
    const notPeer = await rest('PUT', '/remote-entitlements/ana@evil.localhost/BTCUSDT');
    expect(notPeer.status).toBe(403);
    expect(notPeer.body?.code).toBe('TICKDESK_API_NOT_A_PEER');
    const role = await rest('PUT', `/users/${ANA}/role`, { role: 'trader' });
    expect(role.status).toBe(409);
    expect(role.body?.code).toBe('TICKDESK_API_REMOTE_ACCOUNT');
  });

  // Seven starts of the command, each 3 to 5 s on a busy two-core machine.
  it(
    'the CLI grants, lists and revokes a remote account; another domain is refused with exit 1, a bad JID with exit 2',
    { timeout: 300_000 },
    () => {
      const granted = tickdesk('entitle', BOB, 'ETHUSDT');
      expect(granted.stderr).toBe('');
      expect(granted).toMatchObject({ code: 0, stdout: `entitled ${BOB} ETHUSDT\n` });
      expect(tickdesk('grants')).toMatchObject({
        code: 0,
        stdout: `${BOB}  ETHUSDT\n1 of at most 1000 remote grants\n`,
      });
      expect(tickdesk('grants', BOB)).toMatchObject({ code: 0, stdout: `${BOB}  ETHUSDT\n` });
      expect(tickdesk('revoke', BOB, 'ETHUSDT')).toMatchObject({ code: 0, stdout: `revoked ${BOB} ETHUSDT\n` });
      expect(tickdesk('grants', BOB)).toMatchObject({ code: 0, stdout: `${BOB}\n` });
      const evil = tickdesk('entitle', 'bob@evil.localhost', 'ETHUSDT');
      expect(evil.code).toBe(1);
      expect(evil.stderr).toMatch(/^tickdesk: evil\.localhost is not a peer desk/);
      expect(tickdesk('entitle', `${BOB}/phone`, 'ETHUSDT').code).toBe(2);
    },
  );

  it('a remote account asking for a node it is not entitled to is refused', async () => {
    expect((await rest('PUT', `/remote-entitlements/${ANA}/BTCUSDT`)).status).toBe(204);
    const ana = createPubsub(await connect('b', 'ana'), PUBSUB_A);
    const bob = createPubsub(await connect('b', 'bob'), PUBSUB_A);
    for (const [who, node] of [
      [ana, ticksNode('ETHUSDT')],
      [ana, barsNode('ETHUSDT')],
      [bob, ticksNode('BTCUSDT')],
    ] as const) {
      await expect(who.subscribe(node)).rejects.toMatchObject({ condition: 'forbidden' });
      await expect(who.items(node, 1)).rejects.toMatchObject({ condition: 'forbidden' });
    }
  });

  it('an entitled remote account may not publish, configure, purge or delete the node: forbidden, as for local accounts', async () => {
    const client = await connect('b', 'ana');
    const ana = createPubsub(client, PUBSUB_A);
    const node = ticksNode('BTCUSDT');
    // XEP-0060 §8.2: the owner's configuration form.
    const configForm = () =>
      client.iq.request(
        xml('iq', { type: 'get', to: PUBSUB_A }, xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('configure', { node }))),
      );
    for (const attempt of [
      () => ana.publish(node, xml('x', { xmlns: 'urn:example' })),
      configForm,
      () => ana.configure(node, { max_items: '1' }),
      () => ana.purge(node),
      () => ana.deleteNode(node),
    ])
      await expect(attempt()).rejects.toMatchObject({ condition: 'forbidden' });
    const admin = await connect('a', 'admin');
    expect((await createPubsub(admin, PUBSUB_A).nodes()).some((n) => n.node === node)).toBe(true);
  });

  it("after desk B's XMPP server is killed and restarted, ticks resume to the analyst: seq only moves forward, the gap visible", async () => {
    expect((await rest('PUT', `/remote-entitlements/${ANA}/BTCUSDT`)).status).toBe(204);
    const ana = await connect('b', 'ana');
    const got = await collect(ana, ticksNode('BTCUSDT'));
    await until(() => got.seqs.length >= 50, 60_000);
    process.kill(xmppPid(desks.b.home), 'SIGKILL');
    const dropped = got.seqs.length;
    const lastBefore = got.seqs.at(-1)!.seq;
    await until(() => got.seqs.length >= dropped + 100, 90_000);
    await got.stop();
    const seqs = got.seqs.map((s) => s.seq);
    const backwards = seqs.flatMap((s, k) =>
      k > 0 && s <= seqs[k - 1]! ? [seqs.slice(Math.max(0, k - 3), k + 3)] : [],
    );
    expect(backwards, `dropped after ${dropped} ticks, last seq ${lastBefore}`).toEqual([]);
    const firstAfter = seqs.find((s) => s > lastBefore)!;
    // Ticks published while the link was down are not replayed to the analyst: the jump shows the gap.
    expect(firstAfter).toBeGreaterThan(lastBefore + 1);
  });
});
