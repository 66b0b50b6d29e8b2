import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTickBatch, formatMicros, HOP_NAMES, nowMicros, ticksNode, type HopLatency } from '@tickdesk/schemas';
import { resolveAlertsConfig } from '@tickdesk/alerts';
import { buildApp, DESK_ROUTES, resolveApiConfig, type ApiApp } from '@tickdesk/api';
import { createPubsub } from '@tickdesk/xmpp';
import { credentials, desk, waitFor } from './helpers.js';
import { deskApiDeps, deskPasswordVerifier } from './api-deps.js';
import { startLocalEngine, type LocalEngine } from './local-engine.js';
import { trader, type Trader } from './trader.js';

/**
 * Tick to acknowledge per hop, end to end: a real tick through Prosody's pubsub, the engine,
 * Redis and a trader's client that sends a receipt, then displayed and acknowledged markers;
 * the hop durations read back from the REST API as compliance reads them.
 */
describe('hop durations of a real alert', () => {
  let engine: LocalEngine;
  let app: ApiApp;
  let alice: Trader;

  beforeAll(async () => {
    engine = await startLocalEngine(resolveAlertsConfig({ pollMs: 50 }), 'hops-test');
    alice = await trader('alice');
    // Logins are checked by the XMPP server, as the desk's API checks them.
    const verifyPassword = deskPasswordVerifier();
    const deps = deskApiDeps(engine.redis, { auditKey: credentials().audit });
    app = await buildApp({ routes: DESK_ROUTES, verifyPassword, deps, config: resolveApiConfig({}) });
    await waitFor(() => engine.service.engine.presence.get('alice').show === 'online', 10_000, 'alice online');
  });
  afterAll(async () => {
    await app?.close();
    // Leave no live rule behind for the files that run after this one.
    const { rules } = engine.service.engine;
    for await (const rule of rules.all()) await rules.remove(rule.id);
    await alice?.stop();
    await engine?.stop();
  });

  /** The Authorization header of `user`, logged in by POST /v1/auth/token with the desk's password for them. */
  async function bearerOf(user: string): Promise<{ authorization: string }> {
    const { password } = credentials().accounts[user]!;
    const login = await app.inject({
      url: '/v1/auth/token',
      method: 'POST',
      payload: { password, jid: `${user}@${desk().domain}` },
    });
    expect(login.statusCode, login.body).toBe(200);
    return { authorization: `Bearer ${login.json<{ token: string }>().token}` };
  }

  it('records every time of the alert in ms and answers all eight hops, none negative; the latency summary counts it', async () => {
    const reply = await alice.say('alert USDJPY crosses up 777.5');
    expect(reply).toMatch(/^Added r/);
    const started = Date.now();
    // The venue's time 3 ms before our ingest stamp, as a feed stamps a tick it receives.
    const ingest = nowMicros();
    const ticks = ['777', '778'].map((price, i) => ({
      symbol: 'USDJPY',
      seq: Date.now() * 1000 + i,
      price,
      size: '1',
      side: 'buy' as const,
      eventTime: formatMicros(ingest - 3_000),
      ingestTime: formatMicros(ingest),
    }));
    await createPubsub(engine.feed, desk().pubsubHost).publish(
      ticksNode('USDJPY'),
      encodeTickBatch({ symbol: 'USDJPY', ticks, conflated: 0 }),
    );
    await waitFor(() => alice.alerts.length > 0, 10_000, 'the alert');
    const [alert] = alice.alerts;
    // As a dashboard does: shown at once, acknowledged after a short look.
    await alice.mark(alert!, 'displayed');
    await new Promise((r) => setTimeout(r, 20));
    await alice.mark(alert!, 'acknowledged');

    const compliance = await bearerOf('carol');
    let hops: Record<string, number> = {};
    await expect
      .poll(
        async () => {
          const res = await app.inject({ url: `/v1/alerts/${alert!.id}`, headers: compliance });
          hops = res.json<{ hops: Record<string, number> }>().hops;
          return Object.keys(hops).sort();
        },
        { timeout: 10_000 },
      )
      .toEqual([...HOP_NAMES].sort());
    const stored = await engine.service.engine.alerts.get(alert!.id);
    expect(stored?.ingestTime).toBe(formatMicros(ingest));
    for (const step of stored!.lifecycle)
      expect(step.at, step.event).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    for (const [name, ms] of Object.entries(hops)) {
      expect(Number.isInteger(ms), name).toBe(true);
      expect(ms, name).toBeGreaterThanOrEqual(0);
    }
    expect(hops.eventToIngest).toBe(3);
    expect(hops.displayedToAcknowledged).toBeGreaterThanOrEqual(19); // the 20 ms look, at 1 ms granularity
    const sum =
      hops.eventToIngest! +
      hops.ingestToFired! +
      hops.firedToSent! +
      hops.sentToDelivered! +
      hops.deliveredToDisplayed! +
      hops.displayedToAcknowledged!;
    expect(hops.tickToAcknowledged).toBe(sum);
    expect(hops.tickToAcknowledged).toBeLessThan(Date.now() - started + 5);

    const from = new Date(started - 1_000).toISOString();
    const res = await app.inject({ url: `/v1/alerts/latency?from=${from}`, headers: compliance });
    expect(res.statusCode, res.body).toBe(200);
    const summary = res.json<HopLatency>();
    expect(summary.sampled).toBeGreaterThanOrEqual(1);
    expect(summary.hops.tickToAcknowledged.count).toBeGreaterThanOrEqual(1);
    expect(summary.hops.tickToAcknowledged.max).toBeGreaterThanOrEqual(hops.tickToAcknowledged!);
    const asAlice = await bearerOf('alice');
    expect((await app.inject({ url: `/v1/alerts/latency?from=${from}`, headers: asAlice })).statusCode).toBe(403);
  });
});
