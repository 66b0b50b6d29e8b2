import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { DEFAULT_INSTRUMENTS, ticksNode } from '@tickdesk/schemas';
import { createAccountDirectory } from '@tickdesk/accounts';
import {
  resolveAlertsConfig,
  startAlertService,
  verifyRecords,
  type AlertService,
  type AuditRecord,
} from '@tickdesk/alerts';
import { buildApp, DESK_ROUTES, resolveApiConfig, type ApiApp } from '@tickdesk/api';
import { createPubsub, XmppError, type XmppClient } from '@tickdesk/xmpp';
import { connect, credentials, desk, log, refusal, SUBSCRIBE_REFUSED, waitFor } from './helpers.js';
import { deskApiDeps, deskPasswordVerifier } from './api-deps.js';
import { publishPrices, trader, type Trader } from './trader.js';
import { frameText } from './ws-login.js';

/** The REST API over the real desk: XMPP logins, the running engine, the audit chain, XMPP entitlements. */
describe('REST API against the running desk', () => {
  let redis: Redis;
  let app: ApiApp;
  let admin: XmppClient;
  let engineClient: XmppClient;
  let engine: AlertService;
  let feed: XmppClient;
  let alice: Trader | undefined;

  const token = async (user: string): Promise<string> => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { jid: `${user}@${desk().domain}`, password: credentials().accounts[user]!.password },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ token: string }>().token;
  };
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });

  beforeAll(async () => {
    redis = new Redis(desk().redisUrl);
    admin = await connect('admin', 'api-test');
    engineClient = await connect('alerts', 'api-test');
    feed = await connect('feed', 'api-test');
    engine = await startAlertService({
      client: engineClient,
      redis,
      log,
      config: resolveAlertsConfig({ pollMs: 50 }),
      domain: desk().domain,
      service: desk().pubsubHost,
      instruments: DEFAULT_INSTRUMENTS,
      auditKey: credentials().audit,
    });
    app = await buildApp({
      deps: {
        ...deskApiDeps(redis, { auditKey: credentials().audit }),
        accounts: createAccountDirectory({
          admin,
          redis,
          domain: desk().domain,
          pubsubHost: desk().pubsubHost,
          instruments: DEFAULT_INSTRUMENTS,
          log,
        }),
      },
      config: resolveApiConfig({ loginRateMax: 1_000, writeRateMax: 1_000 }),
      verifyPassword: deskPasswordVerifier(),
      routes: DESK_ROUTES,
      xmppWebsocket: desk().xmppHttp,
    });
  });
  afterAll(async () => {
    for await (const rule of engine.engine.rules.all()) await engine.engine.rules.remove(rule.id);
    await alice?.stop();
    await app?.close();
    await engine?.stop();
    await Promise.all([admin?.stop(), engineClient?.stop(), feed?.stop()]);
    redis?.disconnect();
  });

  it('a rule created over REST fires; the alert and its lifecycle are visible over REST; the audit export verifies', async () => {
    alice = await trader('alice');
    await waitFor(() => engine.engine.presence.get('alice').show === 'online', 10_000, 'alice online');
    const t = await token('alice');
    const created = await app.inject({
      method: 'POST',
      url: '/v1/rules',
      headers: auth(t),
      payload: {
        symbol: 'ETHUSDT',
        condition: 'crossing-down',
        threshold: '3000.5',
        frequency: 'once',
        priority: 'critical',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const ruleId = created.json<{ id: string }>().id;
    await new Promise((r) => setTimeout(r, 1_000)); // the engine hears of it within a second
    await publishPrices(feed, 'ETHUSDT', ['3001', '3000.5']);
    // Only this rule's alert: earlier files may leave alice older alerts (resends, offline messages).
    await waitFor(() => alice!.alerts.some((a) => a.payload.rule === ruleId), 10_000, 'the alert');
    const id = alice.alerts.find((a) => a.payload.rule === ruleId)!.id;
    await expect
      .poll(
        async () => {
          const res = await app.inject({ url: `/v1/alerts/${id}`, headers: auth(t) });
          return res.statusCode === 200
            ? res.json<{ lifecycle: Array<{ event: string }> }>().lifecycle.map((s) => s.event)
            : [];
        },
        { timeout: 10_000 },
      )
      .toEqual(expect.arrayContaining(['fired', 'sent', 'server-acked', 'delivered']));
    const listed = await app.inject({ url: `/v1/alerts?symbol=ETHUSDT`, headers: auth(t) });
    expect(listed.json<{ alerts: Array<{ id: string; ruleId: string }> }>().alerts.map((a) => a.id)).toContain(id);
    expect((await app.inject({ url: `/v1/rules/${ruleId}`, headers: auth(t) })).json()).toMatchObject({
      status: 'triggered',
    });

    const carol = await token('carol');
    const verify = await app.inject({ url: '/v1/audit/verify', headers: auth(carol) });
    expect(verify.json()).toMatchObject({ ok: true });
    const exported = await app.inject({ url: '/v1/audit/export?format=jsonl', headers: auth(carol) });
    expect(exported.statusCode).toBe(200);
    const records = exported.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);
    expect(records.some((r) => r.alertId === id && r.event === 'delivered')).toBe(true);
    expect(verifyRecords(records, undefined, credentials().audit)).toMatchObject({ ok: true });
    expect((await app.inject({ url: '/v1/audit/verify', headers: auth(t) })).statusCode).toBe(403); // a trader is not compliance
  });

  it('proxies /xmpp-websocket to the XMPP server (RFC 7395), so a browser needs one origin', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const ws = new WebSocket(`${address.replace('http:', 'ws:')}/xmpp-websocket`, 'xmpp');
    const frames: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        ws.on('open', () =>
          ws.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='${desk().domain}' version='1.0'/>`),
        );
        ws.on('message', (data) => {
          frames.push(frameText(data));
          if (frames.join('').includes('</stream:features>')) resolve();
        });
        ws.on('error', reject);
        setTimeout(() => reject(new Error(`no stream features over the proxy: ${frames.join('')}`)), 10_000);
      });
      expect(ws.protocol).toBe('xmpp');
      expect(frames[0]).toMatch(new RegExp(`^<open [^>]*from=['"]${desk().domain}['"]`));
      expect(frames.join('')).toContain('SCRAM-SHA-1');
    } finally {
      ws.close();
    }
  });

  it('an analyst granted an instrument over REST can subscribe to its node over XMPP, and cannot after revocation', async () => {
    const adminToken = await token('admin');
    const eve = await connect('eve', 'api-test');
    const pubsub = createPubsub(eve, desk().pubsubHost);
    try {
      const refused = await pubsub.subscribe(ticksNode('MSFT')).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(XmppError);
      expect(refusal(refused)).toMatch(SUBSCRIBE_REFUSED);
      expect(
        (await app.inject({ method: 'PUT', url: '/v1/entitlements/eve/MSFT', headers: auth(adminToken) })).statusCode,
      ).toBe(204);
      expect((await app.inject({ url: '/v1/entitlements/eve', headers: auth(adminToken) })).json()).toEqual({
        user: 'eve',
        symbols: ['MSFT'],
      });
      await pubsub.subscribe(ticksNode('MSFT'));
      expect(
        (await app.inject({ method: 'DELETE', url: '/v1/entitlements/eve/MSFT', headers: auth(adminToken) }))
          .statusCode,
      ).toBe(204);
      const again = await pubsub.subscribe(ticksNode('MSFT')).catch((e: unknown) => e);
      expect(refusal(again)).toMatch(SUBSCRIBE_REFUSED);
    } finally {
      await eve.stop();
    }
  });
});
