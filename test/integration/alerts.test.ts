import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NS_TICKS, ticksNode } from '@tickdesk/schemas';
import { ALERT_COMMANDS, auditKeys, resolveAlertsConfig, type AlertService, type StoredAlert } from '@tickdesk/alerts';
import { createRoleStore, decodePresence } from '@tickdesk/store';
import { createPubsub, executeCommand, receiptFor, xml, type XmppClient } from '@tickdesk/xmpp';
import { desk, waitFor } from './helpers.js';
import { startLocalEngine, type LocalEngine } from './local-engine.js';
import { publishPrices, trader, type Trader } from './trader.js';

let engine: LocalEngine;
let service: AlertService;
let engineClient: XmppClient;
let feed: XmppClient;
let redis: Redis;
const open: Trader[] = [];

// minCooldownSeconds 1: the rule-edit test's every-time rule fires again within seconds.
const config = resolveAlertsConfig({
  receiptTimeoutMs: 1_000,
  awayReceiptTimeoutMs: 500,
  resends: 1,
  retryAfterEscalationMs: 1_000,
  alertTtlMs: 5_000,
  pollMs: 50,
  minCooldownSeconds: 1,
});

async function traderOf(user: string, opts: Parameters<typeof trader>[1] = {}) {
  const t = await trader(user, opts);
  open.push(t);
  return t;
}
const lifecycle = async (id: string) =>
  ((await service.engine.alerts.get(id)) as StoredAlert).lifecycle.map((s) => s.event);
const ruleIdOf = (reply: string) => /^Added (r[0-9a-z]+)/.exec(reply)?.[1] ?? '';

beforeAll(async () => {
  engine = await startLocalEngine(config, 'alerts-test');
  ({ service, engineClient, feed, redis } = engine);
});

afterEach(async () => {
  // Each test has its own clients: a leftover one would answer receipts or mask presence.
  await Promise.all(open.splice(0).map((t) => t.stop()));
  await waitFor(
    () => ['alice', 'bob', 'dan'].every((u) => service.engine.presence.get(u).show === 'offline'),
    10_000,
    'traders offline',
  );
});

afterAll(async () => {
  // Leave no live rules behind for the files that run after this one.
  for await (const rule of service.engine.rules.all()) await service.engine.rules.remove(rule.id);
  await Promise.all(open.map((t) => t.stop()));
  await engine?.stop();
});

describe('alert engine, end to end', () => {
  it('a rule added by chat fires once; the trader gets it once and every step is audited', async () => {
    const alice = await traderOf('alice');
    await waitFor(() => service.engine.presence.get('alice').show === 'online', 10_000, 'alice online');
    const indexed = service.engine.stats().rules;
    const reply = await alice.say('alert ESZ6 crosses up 6000.25 "index level"');
    expect(reply).toMatch(/^Added r[0-9a-z]+ \[active\] ESZ6 crossed up through 6000.25, once/);
    const ruleId = ruleIdOf(reply);
    // The reply says the rule is stored; the engine indexes it when the change reaches it.
    await waitFor(() => service.engine.stats().rules === indexed + 1, 10_000, 'the engine to index the rule');
    await publishPrices(feed, 'ESZ6', ['6000', '6000.24']);
    await publishPrices(feed, 'ESZ6', ['6000.25', '6001', '5999', '6002']); // crosses at exactly 6000.25, once
    await waitFor(() => alice.alerts.length > 0, 10_000, 'the alert');
    const [alert] = alice.alerts;
    expect(alert!.payload).toMatchObject({
      rule: ruleId,
      symbol: 'ESZ6',
      condition: 'crossing-up',
      threshold: '6000.25',
      price: '6000.25',
      previousPrice: '6000.24',
      message: 'index level',
    });
    expect(alert!.body).toContain('ESZ6 crossed up through 6000.25: 6000.25');
    await alice.mark(alert!, 'displayed');
    await alice.mark(alert!, 'acknowledged');
    await expect
      .poll(() => lifecycle(alert!.id), { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['fired', 'sent', 'server-acked', 'delivered', 'displayed', 'acknowledged']));
    expect((await lifecycle(alert!.id))[0]).toBe('fired');
    expect(alice.shown()).toHaveLength(1);
    expect((await service.engine.rules.get(ruleId))?.status).toBe('triggered');
    const records = await service.engine.audit.range({ alertId: alert!.id, limit: 50 });
    expect(records.map((r) => r.event)).toEqual(await lifecycle(alert!.id));
    expect(records.find((r) => r.event === 'sent')?.stanzaHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await service.engine.audit.verify()).toMatchObject({ ok: true });
  });

  it('without a receipt: resent with the same id, then escalated to the backup', async () => {
    const bob = await traderOf('bob', { receipts: false });
    const alice = await traderOf('alice');
    await waitFor(() => service.engine.presence.get('bob').show === 'online', 10_000, 'bob online');
    const indexed = service.engine.stats().rules;
    const reply = await bob.say('alert AAPL above 250.5 critical backup alice');
    expect(reply).toMatch(/^Added/);
    await waitFor(() => service.engine.stats().rules === indexed + 1, 10_000, 'the engine to index the rule');
    await publishPrices(feed, 'AAPL', ['250', '250.5', '250.51']);
    await waitFor(() => alice.alerts.length > 0, 15_000, 'the escalation to alice');
    // Sent and resent once (resends: 1) before the escalation; a resend after it, due while
    // alice's receipt is on its way on a loaded machine, is allowed and is the same alert.
    expect(bob.alerts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(bob.alerts.map((a) => a.id)).size).toBe(1);
    const steps = await lifecycle(alice.alerts[0]!.id);
    const beforeEscalation = steps.slice(0, steps.indexOf('escalated'));
    expect(beforeEscalation.filter((e) => e === 'sent' || e === 'resent')).toEqual(['sent', 'resent']);
    expect(alice.alerts[0]!.id).toBe(bob.alerts[0]!.id);
    expect(alice.alerts[0]!.payload).toMatchObject({ price: '250.51', priority: 'critical', threshold: '250.5' });
    await expect
      .poll(() => lifecycle(alice.alerts[0]!.id), { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['fired', 'sent', 'resent', 'escalated', 'delivered']));
    const stored = await service.engine.alerts.get(alice.alerts[0]!.id);
    expect(stored).toMatchObject({ recipient: 'alice', state: 'delivered' });
  });

  it('an alert nobody confirms expires after its time to live and is not resent again', async () => {
    const bob = await traderOf('bob', { receipts: false });
    await waitFor(() => service.engine.presence.get('bob').show === 'online', 10_000, 'bob online');
    expect(await bob.say('alert SOLUSDT above 300')).toMatch(/^Added/);
    await publishPrices(feed, 'SOLUSDT', ['299', '300.5']);
    await waitFor(() => bob.alerts.length > 0, 10_000, 'the alert');
    const id = bob.alerts[0]!.id;
    await expect.poll(async () => (await service.engine.alerts.get(id))?.state, { timeout: 15_000 }).toBe('expired');
    const copies = bob.alerts.length;
    expect(copies).toBeGreaterThanOrEqual(2); // sent, then resent while it lived
    await new Promise((r) => setTimeout(r, 1_500));
    expect(bob.alerts.length).toBe(copies);
    expect((await lifecycle(id)).slice(-1)).toEqual(['expired']);
  });

  it('dnd holds a normal alert until the trader is back, and passes a critical one', async () => {
    const alice = await traderOf('alice', { show: 'dnd' });
    await waitFor(() => service.engine.presence.get('alice').show === 'dnd', 10_000, 'alice dnd');
    const before = service.engine.stats().rules;
    expect(await alice.say('alert MSFT below 400 every 10s')).toMatch(/^Added/); // a cooldown of 0 is refused
    await alice.say('alert MSFT below 399 critical');
    // "Added" answers once the rule is stored; the index takes it from the change notification.
    await waitFor(() => service.engine.stats().rules >= before + 2, 10_000, 'both rules in the index');
    await publishPrices(feed, 'MSFT', ['401', '398.5']);
    await waitFor(() => alice.alerts.length >= 1, 10_000, 'the critical alert');
    await new Promise((r) => setTimeout(r, 500));
    expect(alice.alerts.map((a) => a.payload.threshold)).toEqual(['399']);
    await alice.setShow('available');
    await waitFor(() => alice.alerts.length >= 2, 10_000, 'the held alert');
    const held = alice.alerts[1]!;
    expect(held.payload.threshold).toBe('400');
    expect(await lifecycle(held.id)).toEqual(expect.arrayContaining(['fired', 'held', 'released', 'sent']));
  });

  it('an offline trader gets the alert on login; the backup is told meanwhile', async () => {
    const bob = await traderOf('bob');
    const dan0 = await traderOf('dan');
    expect(await dan0.say('alert SOLUSDT crosses down 150 backup bob')).toMatch(/^Added/);
    await dan0.stop();
    await waitFor(() => service.engine.presence.get('dan').show === 'offline', 10_000, 'dan offline');
    await publishPrices(feed, 'SOLUSDT', ['151', '149.99']);
    await waitFor(() => bob.alerts.some((a) => a.payload.symbol === 'SOLUSDT'), 10_000, 'the backup told');
    const id = bob.alerts.find((a) => a.payload.symbol === 'SOLUSDT')!.id;
    const dan = await traderOf('dan');
    await waitFor(() => dan.alerts.some((a) => a.id === id), 10_000, 'the offline message on login');
    await expect.poll(async () => (await service.engine.alerts.get(id))?.state, { timeout: 10_000 }).toBe('delivered');
  });

  it('a forged receipt changes nothing', async () => {
    const alice = await traderOf('alice', { receipts: false });
    const bob = await traderOf('bob');
    await waitFor(() => service.engine.presence.get('alice').show === 'online', 10_000, 'alice online');
    await alice.say('alert ETHUSDT above 5000');
    await publishPrices(feed, 'ETHUSDT', ['4999', '5000.01']);
    await waitFor(() => alice.alerts.length > 0, 10_000, 'the alert');
    const id = alice.alerts[0]!.id;
    await bob.client.send(receiptFor(`alerts@${desk().domain}`, id)); // bob is not the recipient
    await bob.client.send(receiptFor(`alerts@${desk().domain}`, 'a-no-such-alert'));
    await new Promise((r) => setTimeout(r, 300));
    expect(await lifecycle(id)).not.toContain('delivered');
    const ignored = (await service.engine.metrics.ignored.get()).values;
    expect(ignored.find((v) => v.labels.reason === 'not-the-recipient')?.value).toBeGreaterThanOrEqual(1);
    expect(ignored.find((v) => v.labels.reason === 'unknown-alert')?.value).toBeGreaterThanOrEqual(1);
    await alice.client.send(receiptFor(alice.alerts[0]!.from, id));
    await expect.poll(() => lifecycle(id), { timeout: 10_000 }).toContain('delivered');
  });

  it('rule edits, pauses and deletions take effect while running; a malformed item is skipped and the next evaluated', async () => {
    const alice = await traderOf('alice');
    await waitFor(() => service.engine.presence.get('alice').show === 'online', 10_000, 'alice online');
    const rule = await service.engine.rules.create('alice', {
      symbol: 'EURUSD',
      condition: 'greater-than',
      threshold: '2',
      frequency: 'every-time',
      cooldownSeconds: 0,
      priority: 'normal',
    });
    await publishPrices(feed, 'EURUSD', ['1.1']);
    // Edited over Redis (as the REST API will): within a second the engine uses the new threshold.
    await service.engine.rules.update(rule.id, {
      symbol: 'EURUSD',
      condition: 'greater-than',
      threshold: '1.2',
      frequency: 'every-time',
      cooldownSeconds: 0,
      priority: 'normal',
    });
    await new Promise((r) => setTimeout(r, 1_000));
    // A malformed item from the service: skipped with a log line; the next one is evaluated.
    await createPubsub(feed, desk().pubsubHost).publish(
      ticksNode('EURUSD'),
      xml('ticks', { xmlns: NS_TICKS, symbol: 'EURUSD', count: '1', seq: '1', time: 'yesterday' }, '0 1.3 1 b 0 0'),
    );
    await publishPrices(feed, 'EURUSD', ['1.2', '1.2001']);
    await waitFor(() => alice.alerts.length === 1, 10_000, 'the alert at the edited threshold');
    expect(alice.alerts[0]!.payload).toMatchObject({ threshold: '1.2', price: '1.2001' });
    expect(alice.malformed).toEqual([]);
    await service.engine.rules.setStatus(rule.id, 'paused');
    await new Promise((r) => setTimeout(r, 1_000));
    await publishPrices(feed, 'EURUSD', ['1.3']);
    await service.engine.rules.setStatus(rule.id, 'active');
    await new Promise((r) => setTimeout(r, 1_000));
    await publishPrices(feed, 'EURUSD', ['1.4']);
    await waitFor(() => alice.alerts.length === 2, 10_000, 'the alert after resuming');
    expect(alice.alerts[1]!.payload.price).toBe('1.4');
    await service.engine.rules.remove(rule.id);
    await new Promise((r) => setTimeout(r, 1_000));
    await publishPrices(feed, 'EURUSD', ['1.5']);
    await new Promise((r) => setTimeout(r, 500));
    expect(alice.alerts).toHaveLength(2);
  });

  it('any client can manage rules with ad-hoc commands (XEP-0050)', async () => {
    const bob = await traderOf('bob');
    const engineJid = engineClient.jid()!;
    const added = await executeCommand(bob.client, engineJid, ALERT_COMMANDS.add, {
      symbol: 'BTCUSDT',
      condition: 'crossing-down',
      threshold: '60000.5',
      frequency: 'once',
      priority: 'critical',
    });
    expect(added.note?.text).toMatch(/^Added r[0-9a-z]+ \[active\] BTCUSDT crossed down through 60000.5/);
    const ruleId = /Added (r[0-9a-z]+)/.exec(added.note!.text)![1]!;
    const listed = await executeCommand(bob.client, engineJid, ALERT_COMMANDS.list);
    expect(listed.note?.text).toContain(ruleId);
    await expect(
      executeCommand(bob.client, engineJid, ALERT_COMMANDS.add, {
        symbol: 'BTCUSDT',
        condition: 'crossing-down',
        threshold: 'abc',
        frequency: 'once',
        priority: 'normal',
      }),
    ).rejects.toThrow(/threshold: /);
    const deleted = await executeCommand(bob.client, engineJid, ALERT_COMMANDS.delete, { id: ruleId });
    expect(deleted.note?.text).toBe(`Deleted ${ruleId}.`);
    expect(await service.engine.rules.get(ruleId)).toBeUndefined();
  });

  it("publishes every trader's presence to Redis for the API; traders see each other", async () => {
    const alice = await traderOf('alice');
    const seen: Array<{ from: string; show?: string }> = [];
    alice.client.on('stanza', (st) => {
      if (st.name === 'presence' && String(st.attrs.from).startsWith(`bob@${desk().domain}/`))
        seen.push({ from: String(st.attrs.from), show: st.getChildText('show') ?? 'available' });
    });
    const bob = await traderOf('bob');
    await bob.setShow('away', 'lunch');
    await waitFor(() => seen.some((p) => p.show === 'away'), 10_000, 'alice to see bob away');
    await expect
      .poll(async () => decodePresence('bob', (await redis.hget('td:presence', 'bob')) ?? ''), { timeout: 10_000 })
      .toMatchObject({ trader: 'bob', show: 'away', status: 'lunch' });
    // The engine's own state, for the API's /health.
    expect(JSON.parse((await redis.get('td:alerts:heartbeat')) ?? '{}')).toMatchObject({ state: 'running' });
  });

  it('a trader added while the engine runs is routed to by presence within a second of the role (change notification, no polling)', async () => {
    const roles = createRoleStore({ redis });
    await roles.set('dan', 'analyst');
    await waitFor(() => !service.engine.isTrader('dan'), 5_000, 'dan no longer a trader');
    const dan = await traderOf('dan');
    try {
      const added = Date.now();
      await roles.set('dan', 'trader');
      await waitFor(() => service.engine.isTrader('dan'), 1_000, 'dan a trader again');
      expect(Date.now() - added).toBeLessThan(1_000);
      await dan.setShow('dnd');
      await waitFor(() => service.engine.presence.get('dan').show === 'dnd', 2_000, 'dan dnd');
      const reply = await dan.say('alert AAPL crosses up 500');
      expect(reply).toMatch(/^Added/);
      await publishPrices(feed, 'AAPL', ['499', '501']);
      // Routed by dan's presence: held while dnd, sent once he is back.
      await new Promise((r) => setTimeout(r, 500));
      expect(dan.alerts).toEqual([]);
      await dan.setShow('available');
      await waitFor(() => dan.alerts.length === 1, 5_000, 'the held alert');
      expect(await lifecycle(dan.alerts[0]!.id)).toEqual(expect.arrayContaining(['fired', 'held', 'released', 'sent']));
      await service.engine.rules.remove(ruleIdOf(reply));
    } finally {
      await roles.set('dan', 'trader');
    }
  });

  it('a malformed chat command gets a usage reply', async () => {
    const alice = await traderOf('alice');
    expect(await alice.say('alert BTCUSDT jumps 5')).toMatch(/Unknown condition "jumps"[\s\S]*Commands:/);
    expect(await alice.say('alert BTCUSDT crosses -5')).toMatch(/^Not added\. threshold: /);
    expect(await alice.say('alert NOPE crosses 5')).toMatch(/^Not added\. symbol: /);
    expect(await alice.say('delete r0000')).toMatch(/No rule r0000 of yours/);
  });

  it('the chain verifies, and an edited record fails verification at that record', async () => {
    expect(await service.engine.audit.verify()).toMatchObject({ ok: true });
    const log = auditKeys('td:').log;
    const entries = (await redis.xrange(log, '-', '+')) as Array<[string, string[]]>;
    expect(entries.length).toBeGreaterThan(10);
    // Stream entries cannot be rewritten in place: rebuild the log with record 3 edited.
    const rewrite = async (edit: (r: unknown[]) => void) => {
      const m = redis.multi().del(log);
      for (const [id, f] of entries) {
        if (id !== '3-0') m.xadd(log, id, ...f);
        else {
          const r = JSON.parse(f[1]!) as unknown[];
          edit(r);
          m.xadd(log, id, 'r', JSON.stringify(r), 'h', f[3]!, ...f.slice(4)); // the key id (k) kept
        }
      }
      await m.exec();
    };
    await rewrite((r) => {
      r[3] = 'mallory';
    }); // the trader of record 3
    const broken = await service.engine.audit.verify();
    expect(broken).toMatchObject({ ok: false, brokenSeq: 3, records: 2 });
    await rewrite(() => undefined); // put it back as it was
    expect(await service.engine.audit.verify()).toMatchObject({ ok: true });
  });
});
