import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { createRuleStore, resolveAlertsConfig, startAlertService, type AlertService } from '@tickdesk/alerts';
import type { XmppClient } from '@tickdesk/xmpp';
import { connect, credentials, desk, log, waitFor } from './helpers.js';
import { publishPrices, trader, type Trader } from './trader.js';
import { privateRedis } from '../support/private-redis.js';

/**
 * The engine on its own Redis, which goes away while a rule fires: the firing must not
 * be lost, and the engine's state (its heartbeat, read by /health) must come back to
 * `running` once Redis does.
 */
let server: Awaited<ReturnType<typeof privateRedis>> | undefined;
let service: AlertService | undefined;
let engineClient: XmppClient | undefined;
let feed: XmppClient | undefined;
let alice: Trader | undefined;

afterAll(async () => {
  await alice?.stop();
  await service?.stop();
  await engineClient?.stop();
  await feed?.stop();
  await server?.close();
});

const heartbeat = async (redis: Redis) =>
  JSON.parse((await redis.get('td:alerts:heartbeat')) ?? '{}') as { state?: string };

describe('alert engine through a Redis outage', () => {
  it('a rule that fires while Redis is down is delivered once Redis is back, and the engine reports running again', async () => {
    server = await privateRedis();
    // Commands fail at the first failed reconnect while Redis is down (as after ioredis's
    // retries run out in a longer outage) instead of waiting in the offline queue.
    const redis = server.client({ maxRetriesPerRequest: 0 });
    const admin = server.client();
    await admin.hset('td:users', 'alice', 'trader');
    const rule = await createRuleStore({ redis: admin }).create('alice', {
      symbol: 'MSFT',
      condition: 'crossing-up',
      threshold: '500.5',
      frequency: 'once',
      priority: 'normal',
    });

    alice = await trader('alice', { resource: 'redis-outage' });
    feed = await connect('feed', 'redis-outage');
    engineClient = await connect('alerts', 'redis-outage');
    const config = resolveAlertsConfig({ receiptTimeoutMs: 2_000, pollMs: 100 });
    service = await startAlertService({
      client: engineClient,
      redis,
      log,
      config,
      domain: desk().domain,
      service: desk().pubsubHost,
      instruments: DEFAULT_INSTRUMENTS,
      auditKey: credentials().audit,
    });
    await waitFor(() => service!.engine.presence.get('alice').show === 'online', 10_000, 'alice online');
    await publishPrices(feed, 'MSFT', ['499', '500']);
    await expect.poll(() => admin.hget('td:alerts:watermark', 'MSFT'), { timeout: 10_000 }).toBeTruthy();

    await server.down();
    await publishPrices(feed, 'MSFT', ['501']); // crosses 500.5 while the outbox cannot be written
    await waitFor(() => service!.engine.state() === 'degraded', 10_000, 'the engine to notice');
    await new Promise((r) => setTimeout(r, 1_000));
    await server.up();

    // Only this rule's alert: files before this one share the Redis and may leave alice
    // alerts that an engine resends, or offline messages the server delivers at login.
    const mine = () => alice!.alerts.find((a) => a.payload.rule === rule.id);
    await waitFor(() => mine() !== undefined, 20_000, 'the alert fired during the outage').catch((err: Error) => {
      throw new Error(`${err.message}; engine state ${service!.engine.state()}`);
    });
    expect(mine()!.payload).toMatchObject({ rule: rule.id, symbol: 'MSFT', price: '501' });
    await expect
      .poll(async () => (await service!.engine.alerts.get(mine()!.id))?.lifecycle.map((s) => s.event), {
        timeout: 10_000,
      })
      .toEqual(expect.arrayContaining(['fired', 'sent', 'delivered']));
    await waitFor(() => service!.engine.state() === 'running', 10_000, 'the engine to report running');
    await expect.poll(async () => (await heartbeat(admin)).state, { timeout: 10_000 }).toBe('running');
    expect(alice.shown()).toHaveLength(1);
  }, 90_000);
});
