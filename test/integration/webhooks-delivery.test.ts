import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import {
  createAlertStore,
  createWebhookStore,
  resolveAlertsConfig,
  resolveWebhooksConfig,
  startAlertService,
  verifySignature,
  type AlertService,
  type StoredAlert,
  type WebhookStore,
} from '@tickdesk/alerts';
import { DEFAULT_INSTRUMENTS, type AuditEvent } from '@tickdesk/schemas';
import type { XmppClient } from '@tickdesk/xmpp';
import { connect, credentials, desk, log, waitFor } from './helpers.js';
import { publishPrices, trader, type Trader } from './trader.js';
import { startReceiver, type Receiver } from './webhooks-receiver.js';

// Short enough for a test: 3 attempts 100–200 ms apart, 1 s per attempt.
const webhooks = resolveWebhooksConfig({
  allowPrivate: true,
  timeoutMs: 1_000,
  attempts: 3,
  backoffBaseMs: 100,
  backoffCapMs: 200,
  pollMs: 50,
  perOwnerMax: 10,
});
const SYMBOL = 'SOLUSDT';

let redis: Redis;
let engineClient: XmppClient;
let feed: XmppClient;
let service: AlertService | undefined;
let store: WebhookStore;
let receiver: Receiver;
let alice: Trader | undefined;
let level = 900_000;
let recovered = false;
const endpoints = new Map<string, { id: string; secret: string }>();

/** An engine with webhooks over the shared desk, on this file's own connections (restarted by the second test). */
async function startEngine(config = webhooks): Promise<AlertService> {
  const { domain, pubsubHost: service } = desk();
  return startAlertService({
    webhooks: config,
    config: resolveAlertsConfig({ pollMs: 50 }),
    client: engineClient,
    redis,
    log,
    domain,
    service,
    instruments: DEFAULT_INSTRUMENTS,
    auditKey: credentials().audit,
  });
}

/** One alert of alice's, fired by a tick above a fresh level; the alert as the XMPP message carried it. */
async function fire(): Promise<StoredAlert> {
  level += 1000;
  const before = alice!.alerts.length;
  expect(await alice!.say(`alert ${SYMBOL} above ${level}`)).toMatch(/^Added r/);
  await publishPrices(feed, SYMBOL, [String(level + 1)]);
  await waitFor(() => alice!.alerts.length > before, 10_000, 'the alert over XMPP');
  return (await service!.engine.alerts.get(alice!.alerts[before]!.id))!;
}

/** Waits until `cond` resolves true (polled every 50 ms). */
async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const storedAlerts = () => createAlertStore({ redis });

const eventsOf = async (id: string, endpoint: string): Promise<AuditEvent[]> =>
  ((await service!.engine.alerts.get(id))?.lifecycle ?? [])
    .filter((s) => s.event.startsWith('webhook-') && s.detail?.startsWith(`${endpoint} `))
    .map((s) => s.event);

async function auditOf(id: string, endpoint: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of service!.engine.audit.iterate({ alertId: id }))
    if (r.event.startsWith('webhook-') && r.detail?.startsWith(`${endpoint} `)) out.push(`${r.event} ${r.detail}`);
  return out;
}

beforeAll(async () => {
  redis = new Redis(desk().redisUrl);
  engineClient = await connect('alerts', 'webhooks-test');
  feed = await connect('feed', 'webhooks-test');
  store = createWebhookStore({ redis, perOwnerMax: 10 });
  receiver = await startReceiver({
    '/ok': (_req, res) => res.writeHead(200).end('thanks'),
    '/flaky': (_req, res, nth) => res.writeHead(nth === 1 ? 500 : 200).end(),
    '/hang': (_req, res) => (recovered ? res.writeHead(204).end() : receiver.hang(res)),
    '/reset': (req) => req.socket.destroy(),
    '/slow': (_req, res) => setTimeout(() => res.writeHead(200).end(), 400),
    '/redirect': (_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end(),
    '/big': (_req, res) => res.writeHead(200).end('x'.repeat(1 << 20)),
  });
  for (const path of ['/ok', '/flaky', '/hang', '/reset', '/slow', '/redirect', '/big']) {
    const ep = (await store.create('alice', receiver.url(path), Date.now()))!;
    endpoints.set(path, ep);
  }
  service = await startEngine();
  alice = await trader('alice', { resource: 'webhooks-test' });
  await waitFor(() => service!.engine.presence.get('alice').show === 'online', 10_000, 'alice online');
});

afterAll(async () => {
  for (const ep of endpoints.values()) await store.remove(ep.id);
  await alice?.stop();
  if (service) for await (const rule of service.engine.rules.all()) await service.engine.rules.remove(rule.id);
  await service?.stop();
  await receiver?.close();
  await engineClient?.stop();
  await feed?.stop();
  redis?.disconnect();
});

describe('webhooks against a local receiver', () => {
  it('each outcome of the receiver recorded in the lifecycle and the audit chain', async () => {
    const alert = await fire();
    const id = (p: string) => endpoints.get(p)!.id;
    await waitFor(
      () => receiver.of('/hang').length >= 3 && receiver.of('/reset').length >= 3 && receiver.of('/flaky').length >= 2,
      20_000,
      'every attempt',
    );
    await until(async () => (await store.deadLetters('alice')).length >= 3, 10_000, 'dead letters');
    await new Promise((r) => setTimeout(r, 500));

    expect(await eventsOf(alert.id, id('/ok'))).toEqual(['webhook-delivered']);
    expect(await eventsOf(alert.id, id('/flaky'))).toEqual(['webhook-failed', 'webhook-delivered']);
    expect(await eventsOf(alert.id, id('/slow'))).toEqual(['webhook-delivered']);
    expect(await eventsOf(alert.id, id('/big'))).toEqual(['webhook-delivered']);
    for (const p of ['/hang', '/reset'])
      expect(await eventsOf(alert.id, id(p)), p).toEqual([
        'webhook-failed',
        'webhook-failed',
        'webhook-failed',
        'webhook-dead-lettered',
      ]);
    // The hanging endpoint held none of the others: they were done before its first attempt timed out.
    const steps = (await service!.engine.alerts.get(alert.id))!.lifecycle;
    const at = (endpoint: string, event: AuditEvent) =>
      Date.parse(steps.find((st) => st.event === event && st.detail?.startsWith(`${id(endpoint)} `))!.at);
    for (const p of ['/ok', '/slow', '/big'])
      expect(at(p, 'webhook-delivered'), p).toBeLessThan(at('/hang', 'webhook-failed'));
    // A 3xx is not followed and not retried.
    expect(await eventsOf(alert.id, id('/redirect'))).toEqual(['webhook-failed', 'webhook-dead-lettered']);
    expect(receiver.of('/redirect')).toHaveLength(1);
    expect(receiver.received.filter((r) => r.path === '/elsewhere')).toHaveLength(0);

    expect(await auditOf(alert.id, id('/flaky'))).toEqual([
      expect.stringMatching(/^webhook-failed \S+ HTTP 500, attempt 1, retry in \d+ s$/),
      expect.stringMatching(/^webhook-delivered \S+ HTTP 200, attempt 2$/),
    ]);
    expect((await auditOf(alert.id, id('/hang')))[0]).toMatch(/no answer within 1000 ms, attempt 1/);
    expect((await auditOf(alert.id, id('/reset')))[0]).toMatch(/ECONNRESET|socket hang up/);
    expect((await auditOf(alert.id, id('/redirect')))[0]).toMatch(/redirect 302 not followed, attempt 1, not retried/);
    expect(await service!.engine.audit.verify()).toMatchObject({ ok: true });

    // Each request signed over its body, the alert the XMPP message carried, the idempotency key the same on a retry.
    for (const path of ['/ok', '/flaky']) {
      for (const r of receiver.of(path)) {
        const header = String(r.headers['tickdesk-signature']);
        expect(verifySignature(endpoints.get(path)!.secret, header, r.body, Math.floor(Date.now() / 1000))).toBe(true);
        expect(verifySignature(endpoints.get('/ok')!.secret, header, r.body, Math.floor(Date.now() / 1000))).toBe(
          path === '/ok',
        );
        expect(r.headers['tickdesk-idempotency-key']).toBe(`${alert.id}|${id(path)}`);
        const body = JSON.parse(r.body) as { id: string; timestamp: string; alert: Record<string, unknown> };
        expect(body.id).toBe(alert.id);
        expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(body.alert).toMatchObject({ id: alert.id, owner: 'alice', symbol: SYMBOL, price: String(level + 1) });
      }
    }
    expect(receiver.of('/ok')).toHaveLength(1);

    const letters = await store.deadLetters('alice');
    expect(letters.map((l) => l.endpointId).sort()).toEqual([id('/hang'), id('/reset'), id('/redirect')].sort());
    expect(letters.find((l) => l.endpointId === id('/hang'))).toMatchObject({ alertId: alert.id, attempts: 3 });
    const counted = await service!.engine.metrics.registry.getSingleMetricAsString(
      'tickdesk_alerts_webhook_attempts_total',
    );
    expect(counted).toMatch(/outcome="dead-lettered"} 3/);

    // The owner replays one once its receiver is back: delivered, and no longer a dead letter.
    recovered = true;
    expect(await store.replay(`${alert.id}|${id('/hang')}`, Date.now())).toBe(true);
    await until(async () => (await eventsOf(alert.id, id('/hang'))).at(-1) === 'webhook-delivered', 10_000, 'replay');
    expect((await store.deadLetters('alice')).map((l) => l.endpointId)).not.toContain(id('/hang'));
  }, 60_000);

  it('a pending delivery survives an engine restart and is made once', async () => {
    const later = (await store.create('alice', receiver.url('/ok'), Date.now()))!;
    endpoints.set('/later', later);
    // An engine that queues deliveries but stops before it looks for due ones.
    await service!.stop();
    service = await startEngine({ ...webhooks, pollMs: 60_000 });
    const alert = await fire();
    await service.stop();
    service = undefined;
    const key = `${alert.id}|${later.id}`;
    expect(await store.due(Date.now(), 1_000)).toContainEqual(expect.objectContaining({ id: key, attempt: 0 }));
    const before = receiver.of('/ok').length;
    service = await startEngine();
    await until(async () => (await eventsOf(alert.id, later.id)).length > 0, 10_000, 'delivered after the restart');
    await new Promise((r) => setTimeout(r, 500));
    expect(await eventsOf(alert.id, later.id)).toEqual(['webhook-delivered']);
    expect(receiver.of('/ok').filter((r) => r.headers['tickdesk-idempotency-key'] === key)).toHaveLength(1);
    expect(receiver.of('/ok').length).toBeGreaterThan(before);
  }, 60_000);

  it('an alert stored but not yet sent when its engine stopped is posted by the next engine', async () => {
    const sent = await fire();
    await service!.stop();
    service = undefined;
    // What a crash between storing the firing and sending it leaves: a pending alert and no delivery queued.
    const firedAt = new Date().toISOString();
    const stranded: StoredAlert = {
      ...sent,
      id: `${sent.id}x`,
      firedAt,
      state: 'pending',
      attempts: 0,
      nextActionAt: Date.now(),
      lifecycle: [{ event: 'fired', at: firedAt }],
    };
    expect(await storedAlerts().create(stranded)).toBe(true);
    const key = `${stranded.id}|${endpoints.get('/ok')!.id}`;
    expect((await store.due(Date.now(), 1_000)).map((j) => j.id)).not.toContain(key);
    service = await startEngine();
    await until(
      async () => (await eventsOf(stranded.id, endpoints.get('/ok')!.id)).includes('webhook-delivered'),
      10_000,
      'the stranded alert posted',
    );
    expect(receiver.of('/ok').filter((r) => r.headers['tickdesk-idempotency-key'] === key)).toHaveLength(1);
  }, 60_000);
});
