import { createTcpRelay } from '../support/tcp-relay.js';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { alertId, resolveAlertsConfig, startAlertService, type AlertService } from '@tickdesk/alerts';
import { engineKeys } from '@tickdesk/store';
import { createXmppClient, type XmppClient } from '@tickdesk/xmpp';
import { connect, credentials, desk, log, waitFor } from './helpers.js';
import { publishPrices, trader, type Trader } from './trader.js';

const SYMBOL = 'ESZ6';
let service: AlertService | undefined;
let engineClient: XmppClient | undefined;
let feed: XmppClient | undefined;
let alice: Trader | undefined;
let redis: Redis | undefined;
let proxy: Awaited<ReturnType<typeof createTcpRelay>> | undefined;
let ruleId: string | undefined;

afterAll(async () => {
  if (service && ruleId) await service.engine.rules.remove(ruleId);
  await alice?.stop();
  await service?.stop();
  await engineClient?.stop();
  await feed?.stop();
  await proxy?.close();
  redis?.disconnect();
});

describe('alert engine after its XMPP session is lost, on an instrument it has taken no tick of yet', () => {
  // The desk's supervision test, when Prosody was killed moments after the desk came up: the
  // engine had evaluated no tick of the instrument (no watermark), its session came back after
  // the crossing ticks were published, and the read-back left the instrument out.
  it('fires a rule on ticks published while it was away, and not on the items the node held before it started', async () => {
    const d = desk();
    redis = new Redis(d.redisUrl);
    // No engine of this run has evaluated the instrument (another file's engine may have).
    await redis.hdel(engineKeys().watermark, SYMBOL);
    feed = await connect('feed', 'alerts-reconnect-first-tick');
    // Before the engine starts: history it must not evaluate (a crossing at 7002, in the newest item).
    await publishPrices(feed, SYMBOL, ['6990']);
    await publishPrices(feed, SYMBOL, ['7000', '7002']);

    proxy = await createTcpRelay(Number(new URL(d.service.replace('xmpp://', 'http://')).port));
    engineClient = createXmppClient({
      service: `xmpp://127.0.0.1:${proxy.port}`,
      domain: d.domain,
      username: 'alerts',
      password: credentials().accounts.alerts!.password,
      ca: d.ca,
      log,
      resource: 'reconnect-first-tick-test',
      reconnect: { initialMs: 100, maxMs: 200 },
    });
    await engineClient.start();
    alice = await trader('alice', { resource: 'alerts-reconnect-first-tick' });
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
    const rulesBefore = service.engine.stats().rules;
    const rule = await service.engine.rules.create('alice', {
      symbol: SYMBOL,
      condition: 'crossing-up',
      threshold: '7000.25',
      frequency: 'once',
      priority: 'normal',
    });
    ruleId = rule.id;
    await waitFor(() => service!.engine.stats().rules > rulesBefore, 5_000, 'the rule in the engine');

    proxy.hold();
    await waitFor(() => engineClient!.state() === 'degraded', 5_000, 'the engine session to drop');
    await publishPrices(feed, SYMBOL, ['7000']);
    await publishPrices(feed, SYMBOL, ['7001']); // crosses while the engine has no session
    proxy.release();
    await waitFor(() => engineClient!.state() === 'running', 10_000, 'the engine to reconnect');

    await waitFor(
      () => alice!.alerts.some((a) => a.payload.rule === rule.id),
      10_000,
      'the alert for the tick published while the engine was away',
    );
    const alert = alice.alerts.find((a) => a.payload.rule === rule.id)!;
    expect(alert.payload.price).toBe('7001');
    expect(alert.id).toBe(alertId(rule, SYMBOL, alert.payload.seq));
  });
});
