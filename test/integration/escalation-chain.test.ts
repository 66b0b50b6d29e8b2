import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import {
  resolveAlertsConfig,
  resolveWebhooksConfig,
  startAlertService,
  createWebhookStore,
  verifySignature,
  type AlertService,
  type WebhookStore,
} from '@tickdesk/alerts';
import { DEFAULT_INSTRUMENTS, type EscalationChain, type RuleInput } from '@tickdesk/schemas';
import type { XmppClient } from '@tickdesk/xmpp';
import { connect, credentials, desk, log, waitFor } from './helpers.js';
import { publishPrices, trader, type Trader } from './trader.js';
import { startReceiver, type Receiver } from './webhooks-receiver.js';

const SYMBOL = 'AAPL';
// Waits in whole seconds after the firing, short enough for a test.
const CHAIN: EscalationChain = [
  { to: 'recipient', afterSeconds: 0 },
  { to: 'webhook', afterSeconds: 1 },
  { to: 'backup', afterSeconds: 2 },
  { to: 'desk', afterSeconds: 3 },
];

let redis: Redis;
let engineClient: XmppClient;
let feed: XmppClient;
let service: AlertService | undefined;
let store: WebhookStore;
let receiver: Receiver;
let endpoint: { id: string; secret: string };
const people: Record<string, Trader> = {};
let level = 500_000;

/** A rule of alice's with bob as backup and `chain`, fired by one tick; the alert id alice got. */
async function fire(chain: EscalationChain): Promise<string> {
  level += 1000;
  const input: RuleInput = {
    symbol: SYMBOL,
    condition: 'greater-than',
    threshold: String(level),
    frequency: 'once',
    priority: 'normal',
    backup: 'bob',
    escalation: chain,
  };
  const rule = await service!.engine.rules.create('alice', input);
  await sleep(300); // the engine hears of the rule (rule-sync.ts)
  const before = people.alice!.alerts.length;
  await publishPrices(feed, SYMBOL, [String(level + 1)]);
  await waitFor(() => people.alice!.alerts.length > before, 10_000, 'the alert to alice');
  const alert = people.alice!.alerts[before]!;
  expect(alert.payload.rule).toBe(rule.id);
  return alert.id;
}

const got = (user: string, id: string) => people[user]!.alerts.filter((a) => a.id === id);
async function hops(id: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of service!.engine.audit.iterate({ alertId: id }))
    if (r.event === 'escalated' || r.event === 'escalation-skipped') out.push(`${r.event} ${r.detail ?? ''}`);
  return out;
}

function startEngine(): Promise<AlertService> {
  const { domain, pubsubHost } = desk();
  return startAlertService({
    // Resends far apart: the escalation chain, not resends, is what this test watches.
    config: resolveAlertsConfig({ pollMs: 50, receiptTimeoutMs: 60_000 }),
    webhooks: resolveWebhooksConfig({ allowPrivate: true, pollMs: 50, timeoutMs: 1_000 }),
    client: engineClient,
    redis,
    log,
    domain,
    service: pubsubHost,
    instruments: DEFAULT_INSTRUMENTS,
    auditKey: credentials().audit,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls `cond` every 50 ms until it resolves true. */
const until = async (cond: () => Promise<boolean>, ms: number, what: string) => {
  for (const end = Date.now() + ms; !(await cond()); await sleep(50))
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
};

beforeAll(async () => {
  redis = new Redis(desk().redisUrl);
  engineClient = await connect('alerts', 'escalation-test');
  feed = await connect('feed', 'escalation-test');
  store = createWebhookStore({ redis });
  receiver = await startReceiver({ '/hook': (_req, res) => res.writeHead(200).end() });
  endpoint = (await store.create('alice', receiver.url('/hook'), Date.now()))!;
  service = await startEngine();
  // alice, the recipient, confirms delivery (receipts) but never acknowledges on her own.
  for (const user of ['alice', 'bob', 'dan', 'carol'])
    people[user] = await trader(user, { resource: 'escalation-test' });
  for (const user of ['alice', 'bob', 'dan'])
    await waitFor(() => service!.engine.presence.get(user).show === 'online', 10_000, `${user} online`);
});

afterAll(async () => {
  await Promise.all(Object.values(people).map((p) => p.stop()));
  if (service) for await (const rule of service.engine.rules.all()) await service.engine.rules.remove(rule.id);
  await service?.stop();
  await Promise.all([receiver?.close(), engineClient?.stop(), feed?.stop(), store?.remove(endpoint.id)]);
  redis?.disconnect();
});

describe('escalation chains against real Prosody, Redis and a webhook receiver', () => {
  it('walked to its end while nobody acknowledges: webhook, backup, then every online trader and compliance', async () => {
    const id = await fire(CHAIN);
    await waitFor(() => got('dan', id).length > 0 && got('carol', id).length > 0, 15_000, 'the desk-wide alert');
    // Delivered by alice's receipt, but not acknowledged: the chain went on.
    const alert = (await service!.engine.alerts.get(id))!;
    expect(alert.lifecycle.map((s) => s.event)).toContain('delivered');
    expect(await hops(id)).toEqual([
      `escalated step=2 to=webhook reason=not-acknowledged-after=1s endpoints=${endpoint.id}`,
      'escalated step=3 to=backup reason=not-acknowledged-after=2s presence=online',
      expect.stringMatching(
        /^escalated step=4 to=desk reason=not-acknowledged-after=3s notified=(.+,)?alice,bob,carol,dan(,.+)?$/,
      ),
    ]);
    // Each hop at its time after the firing, in the alert's lifecycle too (recorded before the desk's messages went).
    const stepAt = (event: string, detail: string) =>
      Date.parse(alert.lifecycle.find((s) => s.event === event && s.detail?.startsWith(detail))!.at);
    const firedAt = Date.parse(alert.firedAt);
    expect(stepAt('sent', 'to=alice') - firedAt).toBeLessThan(1_000);
    expect(stepAt('escalated', 'step=2 ') - firedAt).toBeGreaterThanOrEqual(1_000);
    expect(stepAt('escalated', 'step=3 ') - firedAt).toBeGreaterThanOrEqual(2_000);
    expect(stepAt('escalated', 'step=4 ') - firedAt).toBeGreaterThanOrEqual(3_000);

    // The webhook step: an escalation POST with its own idempotency key, signed.
    const key = `${id}#2|${endpoint.id}`;
    await waitFor(() => receiver.of('/hook').some((r) => r.headers['tickdesk-idempotency-key'] === key), 5_000, 'POST');
    const post = receiver.of('/hook').find((r) => r.headers['tickdesk-idempotency-key'] === key)!;
    const body = JSON.parse(post.body) as { id: string; type: string; escalation: { step: number } };
    expect(body).toMatchObject({ id, type: 'alert.escalated', escalation: { step: 2 } });
    const now = Math.floor(Date.now() / 1000);
    expect(verifySignature(endpoint.secret, String(post.headers['tickdesk-signature']), post.body, now)).toBe(true);
    // The alert's own POST at the firing is another delivery.
    expect(
      receiver.of('/hook').filter((r) => r.headers['tickdesk-idempotency-key'] === `${id}|${endpoint.id}`),
    ).toHaveLength(1);

    // The backup got the chat message, same id; the desk-wide one says nobody acknowledged.
    expect(got('bob', id).length).toBeGreaterThan(0);
    expect(got('carol', id)[0]!.body).toMatch(/^NOBODY ACKNOWLEDGED \(alice, 3s after it fired\)/);
    expect(got('dan', id)[0]!.payload.symbol).toBe(SYMBOL);

    // A desk-wide recipient's acknowledgement counts: recorded by them.
    await people.carol!.mark(got('carol', id)[0]!, 'acknowledged');
    await until(
      async () =>
        (await service!.engine.alerts.get(id))!.lifecycle.some(
          (s) => s.event === 'acknowledged' && s.detail === 'by=carol',
        ),
      5_000,
      "carol's acknowledgement recorded",
    );
    expect(await service!.engine.audit.verify()).toMatchObject({ ok: true });
  }, 40_000);

  it('stopped by an acknowledgement midway: no later hop', async () => {
    const chain: EscalationChain = [
      { to: 'recipient', afterSeconds: 0 },
      { to: 'webhook', afterSeconds: 1 },
      { to: 'backup', afterSeconds: 3 },
      { to: 'desk', afterSeconds: 4 },
    ];
    const id = await fire(chain);
    await until(async () => (await hops(id)).length > 0, 5_000, 'the webhook hop');
    expect(await hops(id)).toEqual([
      `escalated step=2 to=webhook reason=not-acknowledged-after=1s endpoints=${endpoint.id}`,
    ]);
    await people.alice!.mark(got('alice', id)[0]!, 'acknowledged');
    // Past the backup's and the desk's times.
    await sleep(4_500);
    const alert = (await service!.engine.alerts.get(id))!;
    expect(alert.lifecycle.find((s) => s.event === 'acknowledged')?.detail).toBe('by=alice');
    expect(await hops(id)).toHaveLength(1);
    expect(got('bob', id)).toEqual([]);
    expect(got('dan', id)).toEqual([]);
    expect(got('carol', id)).toEqual([]);
  }, 30_000);

  it('goes on after an engine restart from where the audit records say, each hop once', async () => {
    const chain: EscalationChain = [
      { to: 'recipient', afterSeconds: 0 },
      { to: 'webhook', afterSeconds: 1 },
      { to: 'desk', afterSeconds: 3 },
    ];
    const id = await fire(chain);
    await until(async () => (await hops(id)).length > 0, 5_000, 'the webhook hop');
    // A restart as a process would make it: a new connection, which hears the traders' presence anew.
    await service!.stop();
    await engineClient.stop();
    engineClient = await connect('alerts', 'escalation-test-2');
    service = await startEngine();
    await waitFor(() => got('dan', id).length > 0, 10_000, 'the desk-wide alert from the new engine');
    await sleep(500);
    expect(await hops(id)).toEqual([
      `escalated step=2 to=webhook reason=not-acknowledged-after=1s endpoints=${endpoint.id}`,
      expect.stringMatching(/^escalated step=3 to=desk reason=not-acknowledged-after=3s notified=/),
    ]);
    expect(
      receiver.of('/hook').filter((r) => r.headers['tickdesk-idempotency-key'] === `${id}#2|${endpoint.id}`),
    ).toHaveLength(1);
  }, 30_000);
});
