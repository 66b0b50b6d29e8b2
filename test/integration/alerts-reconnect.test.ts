import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { alertId, resolveAlertsConfig, startAlertService, type AlertService } from '@tickdesk/alerts';
import { createXmppClient, type XmppClient } from '@tickdesk/xmpp';
import { connect, credentials, desk, dropConnection, log, waitFor } from './helpers.js';
import { publishPrices, trader, type Trader } from './trader.js';

let service: AlertService | undefined;
let engineClient: XmppClient | undefined;
let feed: XmppClient | undefined;
let alice: Trader | undefined;
let redis: Redis | undefined;
const ruleIds: string[] = [];

afterAll(async () => {
  if (service) for (const id of ruleIds) await service.engine.rules.remove(id);
  await alice?.stop();
  await service?.stop();
  await engineClient?.stop();
  await feed?.stop();
  redis?.disconnect();
});

describe('alert engine after its XMPP session is lost', () => {
  // An XMPP node dies (kill -9 of a cluster node) or the network drops: the engine's
  // new session gets no notification published in between (XEP-0060 §12.2: only to
  // available resources), so a crossing there is read back from the node's items.
  it('fires a rule on a tick published while it was reconnecting', async () => {
    const d = desk();
    redis = new Redis(d.redisUrl);
    // A reconnect delay of up to 2 s: the tick below lands while the engine has no session.
    engineClient = createXmppClient({
      service: d.service,
      domain: d.domain,
      username: 'alerts',
      password: credentials().accounts.alerts!.password,
      ca: d.ca,
      log,
      resource: 'reconnect-test',
      reconnect: { initialMs: 2_000, maxMs: 2_000 },
    });
    await engineClient.start();
    feed = await connect('feed', 'alerts-reconnect-test');
    alice = await trader('alice', { resource: 'alerts-reconnect-test' });
    service = await startAlertService({
      client: engineClient,
      redis,
      log,
      domain: d.domain,
      service: d.pubsubHost,
      instruments: DEFAULT_INSTRUMENTS,
      auditKey: credentials().audit,
      config: resolveAlertsConfig({ receiptTimeoutMs: 2_000, pollMs: 50 }),
    });
    const rule = await service.engine.rules.create('alice', {
      symbol: 'SOLUSDT',
      condition: 'crossing-up',
      threshold: '910.5',
      frequency: 'once',
      priority: 'normal',
    });
    ruleIds.push(rule.id);
    await waitFor(() => service!.engine.stats().rules > 0, 5_000, 'the rule in the engine');
    await publishPrices(feed, 'SOLUSDT', ['910']);
    await waitFor(() => service!.engine.stats().received > 0, 5_000, 'the engine to take the first tick');

    dropConnection(engineClient);
    await waitFor(() => engineClient!.state() === 'degraded', 5_000, 'the engine session to drop');
    await publishPrices(feed, 'SOLUSDT', ['911']); // crosses while the engine has no session
    const stillAway = engineClient.state() === 'degraded';
    await waitFor(() => engineClient!.state() === 'running', 10_000, 'the engine to reconnect');

    expect(stillAway, 'the tick was published before the engine was back').toBe(true);
    await waitFor(
      () => alice!.alerts.some((a) => a.payload.rule === rule.id),
      10_000,
      'the alert for the tick published while the engine was away',
    );
    const alert = alice.alerts.find((a) => a.payload.rule === rule.id)!;
    expect(alert.payload.price).toBe('911');
    expect(alert.id).toBe(alertId(rule, 'SOLUSDT', alert.payload.seq));
  });
});
