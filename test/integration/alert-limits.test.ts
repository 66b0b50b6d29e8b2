import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RuleInput } from '@tickdesk/schemas';
import { resolveAlertsConfig, type AlertService, type StoredAlert } from '@tickdesk/alerts';
import { alertKeys, createRoleStore } from '@tickdesk/store';
import type { XmppClient } from '@tickdesk/xmpp';
import { waitFor } from './helpers.js';
import { startLocalEngine, type LocalEngine } from './local-engine.js';
import { publishPrices, trader, type Trader } from './trader.js';
import { stringMatching } from '../support/matchers.js';

// Small caps so a few ticks reach them: 2 alerts per rule and 4 per owner a minute.
const config = resolveAlertsConfig({
  receiptTimeoutMs: 1_000,
  awayReceiptTimeoutMs: 500,
  resends: 1,
  retryAfterEscalationMs: 1_000,
  alertTtlMs: 60_000,
  pollMs: 50,
  minCooldownSeconds: 1,
  alertsPerRule: 2,
  alertsPerOwner: 4,
  alertRateWindowMs: 60_000,
  suppressedSummaryMs: 1_000,
});

let engine: LocalEngine;
let service: AlertService;
let feed: XmppClient;
let redis: Redis;
const open: Trader[] = [];
const USERS_KEY = 'td:users';

async function traderOf(user: string, opts: Parameters<typeof trader>[1] = {}) {
  const t = await trader(user, opts);
  open.push(t);
  await waitFor(() => service.engine.presence.get(user).show !== 'offline', 10_000, `${user} online`);
  return t;
}
const rule = (over: Partial<RuleInput>): RuleInput => ({
  symbol: 'MSFT',
  condition: 'greater-than',
  threshold: '100',
  frequency: 'every-time',
  cooldownSeconds: 1,
  priority: 'normal',
  ...over,
});
const alertsOf = async (trader: string, state?: StoredAlert['state']) =>
  (await service.engine.alerts.list({ trader, limit: 1_000, ...(state ? { state } : {}) })).alerts;
const auditOf = async (id: string) =>
  (await service.engine.audit.range({ alertId: id, limit: 50 })).map((r) => ({ event: r.event, detail: r.detail }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  engine = await startLocalEngine(config, 'limits-test');
  ({ service, feed, redis } = engine);
  // The caps are counted in Redis for the whole desk: alerts earlier files sent these traders in the last minute would count here.
  await redis.del(...['alice', 'bob', 'dan'].map((t) => alertKeys().rateOwner(t)));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.stop()));
  for await (const r of service.engine.rules.all()) await service.engine.rules.remove(r.id);
  await redis.hset(USERS_KEY, 'dan', 'trader');
});

afterAll(async () => {
  await engine?.stop();
});

describe('limits on alert volume', () => {
  it('an every-time rule on a fast tick stream sends at most its cap; the rest are suppressed, audited with the cap and visible', async () => {
    const bob = await traderOf('bob');
    const r = await service.engine.rules.create('bob', rule({ symbol: 'MSFT' }));
    await sleep(500);
    // 10 ticks a second for 4.5 s, all above the level: with a 1 s cooldown the rule fires 4 or 5 times.
    for (let i = 0; i < 45; i++) {
      await publishPrices(feed, 'MSFT', [`${101 + (i % 7)}`]);
      await sleep(100);
    }
    // Other files share this Redis and may have left bob alerts of their own: this rule's only.
    const ofRule = async () => (await alertsOf('bob')).filter((a) => a.ruleId === r.id);
    await expect.poll(async () => (await ofRule()).length, { timeout: 10_000 }).toBe(3);
    // Counts are summarised on a sweep (every 1 s) at least 1 s after the last summary:
    // 3.5 s after the last tick every count is in.
    await sleep(3_500);
    const all = await ofRule();
    const sent = all.filter((a) => a.state !== 'suppressed');
    expect(sent).toHaveLength(2);
    const shown = new Set(bob.alerts.filter((a) => a.payload.rule === r.id).map((a) => a.id));
    expect([...shown].sort()).toEqual(sent.map((a) => a.id).sort());
    // Over the cap: the first firing is stored in full as suppressed, the later ones are
    // counted, and the count lands on it as one more step and audit record.
    const [kept] = all.filter((a) => a.state === 'suppressed');
    expect(kept?.ruleId).toBe(r.id);
    const records = await auditOf(kept!.id);
    expect(records[0]).toEqual({
      event: 'suppressed',
      detail: stringMatching(new RegExp(`^cap=rule limit=2/60s rule=${r.id} seq=\\d+ price=\\d+$`)),
    });
    expect(records.length).toBeGreaterThanOrEqual(2);
    let counted = 0;
    for (const rec of records.slice(1)) {
      expect(rec).toEqual({
        event: 'suppressed',
        detail: stringMatching(
          new RegExp(`^cap=rule limit=2/60s count=\\d+ last-rule=${r.id} last-seq=\\d+ last-price=\\d+$`),
        ),
      });
      counted += Number(/count=(\d+)/.exec(rec.detail!)![1]);
    }
    expect(counted).toBeGreaterThanOrEqual(1);
    expect(kept!.lifecycle.map((s) => s.event)).toEqual(records.map(() => 'suppressed'));
    // The trader finds it by state in the alert history (GET /v1/alerts?state=suppressed reads the same).
    expect((await alertsOf('bob', 'suppressed')).filter((a) => a.ruleId === r.id).map((a) => a.id)).toEqual([kept!.id]);
    const metric = (await service.engine.metrics.suppressed.get()).values.find((v) => v.labels.cap === 'rule');
    expect(metric?.value).toBeGreaterThanOrEqual(1 + counted);
    expect(await service.engine.audit.verify()).toMatchObject({ ok: true });
  });

  it("an owner's rules together send at most the owner cap; another trader's alert still goes at once", async () => {
    const alice = await traderOf('alice');
    const bob = await traderOf('bob');
    const alices = new Set<string>();
    for (let i = 0; i < 6; i++)
      alices.add((await service.engine.rules.create('alice', rule({ symbol: 'AAPL', threshold: `${200 + i}` }))).id);
    const dans = await service.engine.rules.create(
      'dan',
      rule({ symbol: 'AAPL', threshold: '150', frequency: 'once', cooldownSeconds: undefined, backup: 'bob' }),
    );
    await sleep(500);
    await publishPrices(feed, 'AAPL', ['199', '250']); // all six of alice's and dan's once rule fire
    const alicesShown = () => new Set(alice.alerts.filter((a) => alices.has(a.payload.rule)).map((a) => a.id)).size;
    await waitFor(() => alicesShown() >= 4, 10_000, "alice's alerts");
    await sleep(1_500);
    expect(alicesShown()).toBe(4);
    // Six fired, four went: the owner cap keeps one of the other two in full and counts the last.
    const suppressed = async () => (await alertsOf('alice', 'suppressed')).filter((a) => alices.has(a.ruleId));
    expect(await suppressed()).toHaveLength(1);
    // The count is summarised on the next sweep at least 1 s (summary interval here) after the first.
    await expect
      .poll(async () => (await suppressed())[0]!.lifecycle.map((s) => s.detail), { timeout: 5_000 })
      .toEqual([
        expect.stringMatching(/^cap=owner limit=4\/60s /),
        expect.stringMatching(/^cap=owner limit=4\/60s count=1 /),
      ]);
    // dan is offline: his once rule is not capped; the backup hears of it.
    await waitFor(() => bob.alerts.some((a) => a.payload.rule === dans.id), 10_000, "dan's alert escalated to bob");
  });
});

describe('rules that go retire their alerts', () => {
  it("deleting a rule (by chat) retires its outstanding alert: no more resends, 'retired' in the chain", async () => {
    const alice = await traderOf('alice', { receipts: false });
    const reply = await alice.say('alert ESZ6 crosses up 7000.5');
    const ruleId = /^Added (r[0-9a-z]+)/.exec(reply)?.[1] ?? '';
    expect(ruleId).not.toBe('');
    await publishPrices(feed, 'ESZ6', ['7000']);
    await publishPrices(feed, 'ESZ6', ['7001']);
    await waitFor(() => alice.alerts.length >= 2, 10_000, 'the alert and its first resend');
    const id = alice.alerts[0]!.id;
    expect(await alice.say(`delete ${ruleId}`)).toBe(`Deleted ${ruleId}.`);
    await expect.poll(async () => (await service.engine.alerts.get(id))?.state, { timeout: 5_000 }).toBe('retired');
    const received = alice.alerts.length;
    await sleep(3_500); // three resend intervals
    expect(alice.alerts.length).toBe(received);
    // After 'retired' only late confirmations of earlier sends (a server ack, a receipt) may follow, never a send.
    const life = (await service.engine.alerts.get(id))!.lifecycle;
    const at = life.findIndex((s) => s.event === 'retired');
    expect(life[at]).toMatchObject({ event: 'retired', detail: `rule ${ruleId} deleted` });
    expect(life.slice(at + 1).filter((s) => ['sent', 'resent', 'escalated'].includes(s.event))).toEqual([]);
    expect(await auditOf(id)).toContainEqual({ event: 'retired', detail: `rule ${ruleId} deleted` });
    expect(
      (await service.engine.metrics.retired.get()).values.find((v) => v.labels.reason === 'rule-deleted')?.value,
    ).toBeGreaterThanOrEqual(1);
  });

  it('pausing a rule retires its outstanding alerts, held ones included', async () => {
    const dan = await traderOf('dan', { receipts: false, show: 'dnd' });
    await waitFor(() => service.engine.presence.get('dan').show === 'dnd', 10_000, 'dan busy');
    const r = await service.engine.rules.create('dan', rule({ symbol: 'EURUSD', threshold: '1.5' }));
    await sleep(500);
    await publishPrices(feed, 'EURUSD', ['1.6']);
    await expect
      .poll(async () => (await alertsOf('dan')).find((a) => a.ruleId === r.id)?.state, { timeout: 10_000 })
      .toBe('held');
    const id = (await alertsOf('dan')).find((a) => a.ruleId === r.id)!.id;
    await service.engine.rules.setStatus(r.id, 'paused'); // as POST /v1/rules/:id/pause does
    await expect.poll(async () => (await service.engine.alerts.get(id))?.state, { timeout: 5_000 }).toBe('retired');
    expect((await auditOf(id)).at(-1)).toEqual({ event: 'retired', detail: `rule ${r.id} paused` });
    await dan.setShow('chat');
    await sleep(1_500);
    expect(dan.shown()).not.toContain(id); // back from dnd: nothing is released, it was retired
  });
});

describe('disabling a trader', () => {
  it('pauses their rules (audited), retires alerts to them and escalated to them; enabling again does not resume', async () => {
    const dan = await traderOf('dan', { receipts: false });
    const alice = await traderOf('alice', { receipts: false });
    const level = await service.engine.rules.create(
      'dan',
      rule({ symbol: 'SOLUSDT', threshold: '300', cooldownSeconds: 1 }),
    );
    const viaDan = await service.engine.rules.create(
      'alice',
      rule({ symbol: 'SOLUSDT', threshold: '250', frequency: 'once', cooldownSeconds: undefined, backup: 'dan' }),
    );
    await sleep(500);
    await publishPrices(feed, 'SOLUSDT', ['301']);
    await waitFor(() => dan.alerts.some((a) => a.payload.rule === level.id), 10_000, "dan's own alert");
    await waitFor(() => dan.alerts.some((a) => a.payload.rule === viaDan.id), 15_000, "alice's alert escalated to dan");
    const own = dan.alerts.find((a) => a.payload.rule === level.id)!.id;
    const escalated = dan.alerts.find((a) => a.payload.rule === viaDan.id)!.id;

    await createRoleStore({ redis }).set('dan', 'disabled'); // what POST /v1/users/dan/disable does (accounts.ts)
    await expect
      .poll(async () => (await service.engine.rules.get(level.id))?.status, { timeout: 5_000 })
      .toBe('paused');
    expect(await service.engine.audit.range({ alertId: level.id, limit: 10 })).toEqual([
      expect.objectContaining({
        event: 'rule-paused',
        trader: 'dan',
        symbol: 'SOLUSDT',
        detail: 'reason=trader-disabled',
      }),
    ]);
    await expect.poll(async () => (await service.engine.alerts.get(own))?.state, { timeout: 5_000 }).toBe('retired');
    await expect
      .poll(async () => (await service.engine.alerts.get(escalated))?.state, { timeout: 5_000 })
      .toBe('retired');
    // Retired, and nothing sent after it: only the server's ack of a send just before may come later.
    const afterRetired = async (id: string, detail: string) => {
      const records = await auditOf(id);
      const at = records.findIndex((r) => r.event === 'retired');
      expect(records[at]).toEqual({ event: 'retired', detail });
      expect(records.slice(at + 1).filter((r) => r.event !== 'server-acked')).toEqual([]);
    };
    await afterRetired(own, 'trader dan disabled');
    await afterRetired(escalated, 'backup dan disabled');
    const received = dan.alerts.length;
    const aliceReceived = alice.alerts.length;

    await publishPrices(feed, 'SOLUSDT', ['302']);
    await sleep(2_500);
    expect(dan.alerts.length).toBe(received); // the paused rule no longer fires, nothing is resent
    expect(alice.alerts.length).toBe(aliceReceived);
    expect((await alertsOf('dan')).filter((a) => a.ruleId === level.id)).toHaveLength(1);

    await createRoleStore({ redis }).set('dan', 'trader');
    await sleep(2_500);
    expect((await service.engine.rules.get(level.id))?.status).toBe('paused');
    expect(await service.engine.audit.verify()).toMatchObject({ ok: true });
  });
});
