import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { resolveAlertsConfig, startAlertService, type AlertService } from '@tickdesk/alerts';
import { createXmppClient, type XmppClient } from '@tickdesk/xmpp';
import { credentials, desk, dropConnection, log, waitFor } from './helpers.js';
import { trader, type Trader } from './trader.js';

let service: AlertService | undefined;
let engineClient: XmppClient | undefined;
let alice: Trader | undefined;
let redis: Redis | undefined;

afterAll(async () => {
  await alice?.stop();
  await service?.stop();
  await engineClient?.stop();
  redis?.disconnect();
});

describe("unconfirmed alerts after the engine's XMPP session comes back", () => {
  // An XMPP server restart drops every session: alerts sent into them get no receipt. The
  // trader is online before and after, so no presence changes; the engine's new session
  // finds her available in the initial presence and must resend at once, not after its backoff.
  it('resends an alert sent but not confirmed as soon as the presence resync finds its trader available', async () => {
    const d = desk();
    redis = new Redis(d.redisUrl);
    engineClient = createXmppClient({
      service: d.service,
      domain: d.domain,
      username: 'alerts',
      password: credentials().accounts.alerts!.password,
      ca: d.ca,
      log,
      resource: 'reconnect-resend-test',
      reconnect: { initialMs: 500, maxMs: 500 },
    });
    await engineClient.start();
    alice = await trader('alice', { resource: 'reconnect-resend-test' });
    service = await startAlertService({
      client: engineClient,
      redis,
      log,
      domain: d.domain,
      service: d.pubsubHost,
      instruments: DEFAULT_INSTRUMENTS,
      auditKey: credentials().audit,
      config: resolveAlertsConfig({ receiptTimeoutMs: 60_000, pollMs: 50 }),
    });
    await waitFor(() => service!.engine.presence.get('alice').show === 'online', 5_000, 'alice online to the engine');
    const rule = await service.engine.rules.create('alice', {
      symbol: 'SOLUSDT',
      condition: 'crossing-up',
      threshold: '910.5',
      frequency: 'every-time',
      priority: 'normal',
    });
    const firedAt = new Date().toISOString();
    const id = `reconnect-resend-${Date.now()}`;
    // As left by a send into a session the server lost: sent, no receipt, next resend a minute away.
    await service.engine.alerts.create({
      id,
      ruleId: rule.id,
      owner: 'alice',
      recipient: 'alice',
      symbol: 'SOLUSDT',
      condition: 'crossing-up',
      price: '911',
      tickSeq: 1,
      eventTime: '2026-12-06T10:08:14.100000Z',
      firedAt,
      priority: 'normal',
      threshold: '910.5',
      body: 'SOLUSDT crossed up through 910.5',
      state: 'sent',
      attempts: 1,
      nextActionAt: Date.now() + 60_000,
      lifecycle: [
        { event: 'fired', at: firedAt },
        { event: 'sent', at: firedAt },
      ],
    });

    dropConnection(engineClient);
    await waitFor(() => engineClient!.state() === 'degraded', 5_000, 'the engine session to drop');
    await waitFor(() => engineClient!.state() === 'running', 10_000, 'the engine to reconnect');
    const back = Date.now();
    await waitFor(
      () => alice!.alerts.some((a) => a.id === id),
      8_000,
      'the unconfirmed alert resent after the reconnect',
    );
    const afterMs = Date.now() - back;
    log.info({ afterMs }, 'resent after the engine session was back');
    expect(afterMs).toBeLessThan(8_000);
    let state: string | undefined;
    for (
      const until = Date.now() + 5_000;
      state !== 'delivered' && Date.now() < until;
      await new Promise((r) => setTimeout(r, 50))
    ) {
      state = (await service.engine.alerts.get(id))?.state;
    }
    expect(state).toBe('delivered');
    await service.engine.rules.remove(rule.id);
    expect((await service.engine.alerts.get(id))?.lifecycle.map((s) => s.event)).toContain('resent');
  });
});
