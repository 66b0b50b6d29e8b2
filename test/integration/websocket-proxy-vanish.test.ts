import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { buildApp, resolveApiConfig, type ApiApp } from '@tickdesk/api';
import { resolveAlertsConfig } from '@tickdesk/alerts';
import type { Element } from '@tickdesk/xmpp';
import { credentials, desk, waitFor } from './helpers.js';
import { deskApiDeps } from './api-deps.js';
import { startLocalEngine, type LocalEngine } from './local-engine.js';
import { publishPrices, trader, type Trader } from './trader.js';
import { wsStream, type WsStream } from './ws-stream.js';

/** The proxy pings each browser this often; one that misses a pong is cut off by the next. */
const PING_MS = 300;

/**
 * A dashboard whose browser vanished (its machine gone: no close frame, no FIN, no pong)
 * must not leave its XMPP login behind. The XMPP server pings the proxy, not the browser,
 * and the proxy answers for itself: before the proxy pinged browsers, such a login stayed
 * online for as long as the API ran, its presence shown to the desk and the trader's alerts
 * routed to it.
 */
describe('/xmpp-websocket streams of browsers that vanish', () => {
  let redis: Redis;
  let app: ApiApp;
  let proxied: string;
  let bob: Trader;
  let engine: LocalEngine | undefined;
  let alice: Trader | undefined;
  const streams: WsStream[] = [];
  const seen: Array<{ at: number; from: string; type: string }> = [];

  const login = async (resource: string) => {
    const s = await wsStream(proxied, {
      domain: desk().domain,
      user: 'alice',
      password: credentials().accounts.alice!.password,
      resource,
    });
    streams.push(s);
    return s;
  };
  const presenceOf = (resource: string, type: string, since: number) =>
    seen.find((p) => p.at >= since && p.from === `alice@${desk().domain}/${resource}` && p.type === type);

  beforeAll(async () => {
    redis = new Redis(desk().redisUrl);
    app = await buildApp({
      deps: deskApiDeps(redis),
      config: resolveApiConfig({ wsPingIntervalMs: PING_MS }),
      verifyPassword: async () => false,
      xmppWebsocket: desk().xmppHttp,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    proxied = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/xmpp-websocket`;
    // The desk links traders with mutual presence subscriptions: bob sees alice's resources.
    bob = await trader('bob', { resource: 'vanish-watch' });
    bob.client.on('stanza', (s: Element) => {
      if (s.name === 'presence' && String(s.attrs.from).startsWith('alice@'))
        seen.push({ at: Date.now(), from: String(s.attrs.from), type: String(s.attrs.type ?? 'available') });
    });
  });
  afterAll(async () => {
    for (const s of streams) s.ws.terminate();
    await alice?.stop();
    await engine?.stop();
    await bob?.stop();
    await app?.close();
    redis?.disconnect();
  });

  it("ends the vanished browser's login within two pings: the desk sees her offline", async () => {
    const since = Date.now();
    const s = await login('vanish-1');
    await waitFor(() => presenceOf('vanish-1', 'available', since) !== undefined, 10_000, 'alice available');
    const vanished = Date.now();
    s.vanish();
    await waitFor(
      () => presenceOf('vanish-1', 'unavailable', vanished) !== undefined,
      10_000,
      'alice unavailable after her browser vanished',
    );
    expect(presenceOf('vanish-1', 'unavailable', vanished)!.at - vanished).toBeLessThan(2 * PING_MS + 2_000);
  });

  it('an alert sent into a stream whose browser then vanished reaches her at her next login', async () => {
    engine = await startLocalEngine(resolveAlertsConfig({ receiptTimeoutMs: 3_000, pollMs: 50 }), 'vanish-test');
    const since = Date.now();
    const s = await login('vanish-2');
    await waitFor(() => engine!.service.engine.presence.get('alice').show === 'online', 10_000, 'alice online');
    const rule = await engine.service.engine.rules.create('alice', {
      symbol: 'SOLUSDT',
      condition: 'crossing-up',
      threshold: '731.25',
      frequency: 'once',
      priority: 'normal',
    });
    await new Promise((r) => setTimeout(r, 500));
    await publishPrices(engine.feed, 'SOLUSDT', ['731', '731.5']);
    // The alert reaches the stream, which sends no receipt; then the browser is gone.
    await waitFor(() => s.frames.some((f) => f.includes(rule.id)), 10_000, 'the alert in the stream');
    const id = /<message[^>]* id=['"]([^'"]+)['"]/.exec(s.frames.find((f) => f.includes(rule.id))!)![1]!;
    s.vanish();
    await waitFor(() => presenceOf('vanish-2', 'unavailable', since) !== undefined, 10_000, 'the login ended');
    // The engine resends after its receipt timeout; with nobody online the server stores it.
    alice = await trader('alice', { resource: 'vanish-next-login' });
    await waitFor(() => alice!.alerts.some((a) => a.id === id), 15_000, 'the alert at her next login');
  });
});
