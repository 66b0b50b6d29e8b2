import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import {
  AUDIT_NODE,
  createAuditChain,
  decodeAuditPayload,
  resolveAlertsConfig,
  startAlertService,
  type AlertService,
  type AuditRecord,
} from '@tickdesk/alerts';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { createItemSubscriber, createPubsub, xml, type XmppClient } from '@tickdesk/xmpp';
import { connect, credentials, desk, log, refusal, SUBSCRIBE_REFUSED, waitFor } from './helpers.js';
import { publishPrices, trader, type Trader } from './trader.js';

const SYMBOL = 'ETHUSDT';
// docs/protocol.md §13 read by a third-party client: Debian's python3-slixmpp.
const SLIXMPP_AUDIT = fileURLToPath(new URL('../interop/slixmpp_audit.py', import.meta.url));

let redis: Redis;
let engineClient: XmppClient;
let feed: XmppClient;
let carol: XmppClient;
let service: AlertService | undefined;
let alice: Trader | undefined;
/** What carol's subscription delivered, in arrival order (a re-published seq may come twice). */
const received: AuditRecord[] = [];

const startEngine = () =>
  startAlertService({
    config: resolveAlertsConfig({ pollMs: 50 }),
    client: engineClient,
    redis,
    log,
    domain: desk().domain,
    service: desk().pubsubHost,
    instruments: DEFAULT_INSTRUMENTS,
    auditKey: credentials().audit,
    auditFeed: true,
  });

/** Carol's records after `seq`, one per seq, in the order they came. */
const seen = (after: number) => {
  const bySeq = new Map<number, AuditRecord>();
  for (const r of received) if (r.seq > after && !bySeq.has(r.seq)) bySeq.set(r.seq, r);
  return [...bySeq.values()];
};

async function chainAfter(after: number): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for await (const r of service!.engine.audit.iterate({ afterSeq: after })) out.push(r);
  return out;
}

beforeAll(async () => {
  redis = new Redis(desk().redisUrl);
  engineClient = await connect('alerts', 'audit-feed-test');
  feed = await connect('feed', 'audit-feed-test');
  service = await startEngine();
  carol = await connect('carol', 'audit-feed-test');
  const sub = createItemSubscriber({
    client: carol,
    service: desk().pubsubHost,
    nodes: [AUDIT_NODE],
    decode: (el) => {
      const r = decodeAuditPayload(el);
      return r ? { ok: true as const, value: r } : { ok: false as const, reason: 'not an audit record' };
    },
    onItem: (r) => received.push(r),
    log,
  });
  await sub.start();
  alice = await trader('alice', { resource: 'audit-feed-test' });
  await waitFor(() => service!.engine.presence.get('alice').show === 'online', 10_000, 'alice online');
});

afterAll(async () => {
  await alice?.stop();
  if (service) for await (const rule of service.engine.rules.all()) await service.engine.rules.remove(rule.id);
  await service?.stop();
  await carol?.stop();
  await engineClient?.stop();
  await feed?.stop();
  redis?.disconnect();
});

describe('the live compliance feed (audit node)', () => {
  it('a compliance account subscribed to the node receives every record of a real alert as appended, in order', async () => {
    const start = (await service!.engine.audit.head()).seq;
    expect(await alice!.say(`alert ${SYMBOL} above 700000`)).toMatch(/^Added r/);
    await publishPrices(feed, SYMBOL, ['700001']);
    await waitFor(() => alice!.alerts.length > 0, 10_000, 'the alert over XMPP');
    const id = alice!.alerts[0]!.id;
    await waitFor(
      () => seen(start).some((r) => r.alertId === id && r.event === 'delivered'),
      10_000,
      'the delivered record on the node',
    );
    const got = seen(start);
    const chain = await chainAfter(start);
    // Every record appended, as the chain holds it (hash and all), no gap, in seq order.
    expect(got.map((r) => r.seq)).toEqual(chain.slice(0, got.length).map((r) => r.seq));
    expect(got).toEqual(chain.slice(0, got.length));
    expect(got.filter((r) => r.alertId === id).map((r) => r.event)).toEqual(
      expect.arrayContaining(['fired', 'sent', 'delivered']),
    );
    const arrival = received.filter((r) => r.seq > start).map((r) => r.seq);
    expect(arrival).toEqual([...arrival].sort((a, b) => a - b));
    // /metrics: what was published, and nothing left behind once the node has the head.
    const metric = async (name: string) =>
      Number(/ (\d+)$/m.exec(await service!.engine.metrics.registry.getSingleMetricAsString(name))?.[1]);
    expect(await metric('tickdesk_alerts_audit_feed_published_total')).toBeGreaterThanOrEqual(got.length);
    await waitFor(() => seen(start).length >= chain.length, 10_000, 'every record appended so far');
    expect(await metric('tickdesk_alerts_audit_feed_lag_records')).toBe(0);
  });

  it('a trader and an analyst cannot subscribe, read items or publish; compliance cannot publish', async () => {
    for (const user of ['bob', 'ana']) {
      const client = await connect(user, 'audit-feed-test');
      try {
        const pubsub = createPubsub(client, desk().pubsubHost);
        expect(refusal(await pubsub.subscribe(AUDIT_NODE).catch((e: unknown) => e))).toMatch(SUBSCRIBE_REFUSED);
        expect(refusal(await pubsub.items(AUDIT_NODE).catch((e: unknown) => e))).toMatch(
          /^(forbidden|not-authorized|not-allowed\+closed-node)/,
        );
      } finally {
        await client.stop();
      }
    }
    const forged = createPubsub(carol, desk().pubsubHost).publish(AUDIT_NODE, xml('record', { xmlns: 'x' }));
    expect(refusal(await forged.catch((e: unknown) => e))).toMatch(/^forbidden/);
  });

  it('a record appended while no engine publishes reaches the node once one starts again (the cursor is in Redis)', async () => {
    const chain = createAuditChain({ redis, key: credentials().audit });
    // Appended just before the stop: the stopping engine still publishes it.
    const last = await chain.append({
      alertId: `audit-feed-${Date.now()}`,
      trader: 'alice',
      symbol: SYMBOL,
      event: 'expired',
      detail: 'appended as the engine stops',
      stanzaHash: '',
    });
    await service!.stop();
    service = undefined;
    await waitFor(() => received.some((r) => r.seq === last.seq), 5_000, 'the record appended before the stop');
    const rec = await chain.append({
      alertId: `audit-feed-${Date.now()}`,
      trader: 'alice',
      symbol: SYMBOL,
      event: 'expired',
      detail: 'appended while the feed was down',
      stanzaHash: '',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(received.some((r) => r.seq === rec.seq)).toBe(false);
    service = await startEngine();
    await waitFor(() => received.some((r) => r.seq === rec.seq), 10_000, 'the record on the node');
    expect(received.find((r) => r.seq === rec.seq)).toEqual(rec);
  });

  it('an account made compliance becomes a reader; made trader again, its subscription goes', async () => {
    const roles = (user: string, role: string) =>
      redis.hset('td:users', user, role).then(() => redis.publish('td:users:changes', user));
    const bob = await connect('bob', 'audit-feed-role');
    try {
      const pubsub = createPubsub(bob, desk().pubsubHost);
      await roles('bob', 'compliance');
      await service!.engine.auditFeed!.refreshReaders();
      expect(await pubsub.subscribe(AUDIT_NODE)).toBe('subscribed');
      await roles('bob', 'trader');
      await service!.engine.auditFeed!.refreshReaders();
      const subs = await createPubsub(engineClient, desk().pubsubHost).subscriptions(AUDIT_NODE);
      expect(subs.some((s) => s.jid.startsWith('bob@'))).toBe(false);
      expect(refusal(await pubsub.subscribe(AUDIT_NODE).catch((e: unknown) => e))).toMatch(SUBSCRIBE_REFUSED);
    } finally {
      await redis.hset('td:users', 'bob', 'trader');
      await bob.stop();
    }
  });

  it('slixmpp, a third-party client, watches the node as compliance and checks each HMAC and link; a trader is refused', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'tickdesk-audit-interop-'));
    try {
      /** The script as `user`, its password in a 0600 file. */
      const run = (user: string, count: number) => {
        const pw = join(scratch, `${user}.pw`);
        writeFileSync(pw, `${credentials().accounts[user]!.password}\n`, { mode: 0o600 });
        const url = new URL(desk().service);
        const child = spawn(
          '/usr/bin/python3',
          [
            SLIXMPP_AUDIT,
            '--jid',
            `${user}@${desk().domain}`,
            '--password-file',
            pw,
            '--ca',
            join(desk().home, 'certs', 'ca.crt'),
            '--host',
            url.hostname,
            '--port',
            url.port,
            '--service',
            desk().pubsubHost,
            '--key-file',
            desk().credentialsPath,
            '--count',
            String(count),
            '--timeout',
            '20',
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        const out = { stdout: '', stderr: '' };
        child.stdout.setEncoding('utf8').on('data', (t: string) => (out.stdout += t));
        child.stderr.setEncoding('utf8').on('data', (t: string) => (out.stderr += t));
        const code = new Promise<number | null>((resolve) => child.on('close', resolve));
        return { out, code };
      };
      const bob = run('bob', 1);
      expect(await bob.code).toBe(5);
      expect(bob.out.stderr).toMatch(/subscribe audit refused: forbidden|not-allowed/);
      const carol = run('carol', 3);
      await waitFor(() => carol.out.stderr.includes('subscribed audit'), 20_000, 'slixmpp subscribed');
      const chain = createAuditChain({ redis, key: credentials().audit });
      const appended: AuditRecord[] = [];
      for (const event of ['fired', 'sent', 'delivered'] as const)
        appended.push(
          await chain.append({
            alertId: `interop-${Date.now()}`,
            trader: 'alice',
            symbol: SYMBOL,
            event,
            detail: 'to=alice, "quoted"',
            stanzaHash: '',
          }),
        );
      expect(await carol.code, carol.out.stderr).toBe(0);
      const printed = carol.out.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as AuditRecord);
      expect(printed).toEqual(appended);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
