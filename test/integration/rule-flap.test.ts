import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Rule, RuleInput } from '@tickdesk/schemas';
import { createRuleFlapReader, NS_ALERT_GROUP, resolveAlertsConfig, type StoredAlert } from '@tickdesk/alerts';
import { alertKeys } from '@tickdesk/store';
import { waitFor } from './helpers.js';
import { startLocalEngine, type LocalEngine } from './local-engine.js';
import { publishPrices, trader, type Trader } from './trader.js';
import { stringMatching } from '../support/matchers.js';

const anyString = stringMatching(/./);

// Per-rule cap 4 a minute, so the rate-cap case reaches it with a few ticks; the others stay under it.
const config = resolveAlertsConfig({
  receiptTimeoutMs: 5_000,
  pollMs: 50,
  minCooldownSeconds: 1,
  alertsPerRule: 4,
  alertsPerOwner: 1_000,
  alertRateWindowMs: 60_000,
});

let engine: LocalEngine;
let redis: Redis;
const open: Trader[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `user` signed in (receipts on), once the engine sees them online. */
async function traderOf(user: string) {
  open.push(await trader(user));
  await waitFor(() => engine.service.engine.presence.get(user).show !== 'offline', 10_000, `${user} online`);
  return open.at(-1)!;
}
/** Above 100 on `symbol`, every time with a 1 s cooldown, and the flap fields of `over`. */
const rule = (symbol: string, over: Partial<RuleInput> = {}): RuleInput => ({
  ...{ symbol, condition: 'greater-than', threshold: '100', priority: 'normal' },
  ...{ frequency: 'every-time', cooldownSeconds: 1 },
  ...over,
});
const ofRule = async (owner: string, ruleId: string): Promise<StoredAlert[]> =>
  (await engine.service.engine.alerts.list({ trader: owner, limit: 1_000 })).alerts.filter((a) => a.ruleId === ruleId);
const auditOf = async (id: string) =>
  (await engine.service.engine.audit.range({ alertId: id, limit: 100 })).map((r) => ({
    event: r.event,
    detail: r.detail,
  }));
/** A tick above every level every 250 ms for `ms`: an every-time rule with a 1 s cooldown fires about once a second. */
async function ticksFor(symbol: string, ms: number): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    await publishPrices(engine.feed, symbol, [`${101 + Math.floor(Math.random() * 50)}.5`]);
    await sleep(250);
  }
}
const shownOf = (t: Trader, ruleId: string) => t.alerts.filter((a) => a.payload.rule === ruleId);
const view = async (id: string): Promise<Rule> =>
  (await createRuleFlapReader({ redis })([(await engine.service.engine.rules.get(id))!]))[0]!;

beforeAll(async () => {
  engine = await startLocalEngine(config, 'flap-test');
  redis = engine.redis;
  // Caps are counted desk-wide: what earlier files sent these owners must not count here.
  for (const owner of ['alice', 'bob', 'dan']) await redis.del(alertKeys().rateOwner(owner));
});
afterEach(async () => {
  for (const t of open.splice(0)) await t.stop();
  const { rules } = engine.service.engine;
  for await (const r of rules.all()) await rules.remove(r.id);
});
afterAll(async () => {
  await engine?.stop();
});

describe('per-rule flap control', () => {
  it('a rule with maxFirings 3 sends 3 alerts, pauses itself, says so to its owner and in the audit chain; resuming counts again', async () => {
    const alice = await traderOf('alice');
    const r = await engine.service.engine.rules.create('alice', rule('MSFT', { maxFirings: 3 }));
    await sleep(300);
    await ticksFor('MSFT', 5_000);
    await expect
      .poll(async () => (await engine.service.engine.rules.get(r.id))?.status, { timeout: 5_000 })
      .toBe('paused');
    const paused = await view(r.id);
    expect(paused).toMatchObject({
      pausedReason: 'firing-limit',
      firings: 3,
      limited: { reason: 'firing-limit', since: paused.pausedAt },
    });
    await sleep(500);
    expect(shownOf(alice, r.id)).toHaveLength(3);
    expect((await ofRule('alice', r.id)).map((a) => a.state).sort()).toEqual(['delivered', 'delivered', 'delivered']);
    expect(await auditOf(r.id)).toEqual([{ event: 'rule-limited', detail: 'firings=3 limit=3' }]);
    await waitFor(
      () => alice.replies.some((t) => t.includes(`Rule ${r.id} (MSFT) paused itself after 3 firings`)),
      5_000,
      'owner told',
    );
    expect(alice.replies.find((t) => t.includes(r.id))).toContain(`resume ${r.id}`);
    // Resumed (the path REST, chat and the dashboard take): the count starts again, the reason goes.
    await engine.service.engine.rules.setStatus(r.id, 'active');
    expect(await view(r.id)).toMatchObject({ status: 'active', firings: 0 });
    expect((await view(r.id)).pausedReason).toBeUndefined();
    await sleep(300);
    await ticksFor('MSFT', 1_500);
    await expect.poll(() => shownOf(alice, r.id).length, { timeout: 5_000 }).toBeGreaterThanOrEqual(4);
    expect(await engine.service.engine.audit.verify()).toMatchObject({ ok: true });
  });

  it('a rule with minGapSeconds 3 sends no two alerts closer than 3 s; the others are stored and audited as suppressed (min-gap)', async () => {
    const bob = await traderOf('bob');
    const r = await engine.service.engine.rules.create('bob', rule('AAPL', { minGapSeconds: 3 }));
    await sleep(300);
    await ticksFor('AAPL', 4_500);
    await sleep(1_000);
    const all = await ofRule('bob', r.id);
    const sent = all.filter((a) => a.state !== 'suppressed').sort((a, b) => a.eventTime.localeCompare(b.eventTime));
    const gapped = all.filter((a) => a.state === 'suppressed');
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent.length).toBeLessThanOrEqual(2);
    expect(gapped.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < sent.length; i++)
      expect(Date.parse(sent[i]!.eventTime) - Date.parse(sent[i - 1]!.eventTime)).toBeGreaterThanOrEqual(3_000);
    expect(
      shownOf(bob, r.id)
        .map((a) => a.id)
        .sort(),
    ).toEqual(sent.map((a) => a.id).sort());
    for (const g of gapped) {
      expect(g.lifecycle).toEqual([
        expect.objectContaining({
          event: 'suppressed',
          detail: stringMatching(/^reason=min-gap gap=3s since-last=\d+ms rule=/),
        }),
      ]);
      expect(await auditOf(g.id)).toEqual([{ event: 'suppressed', detail: g.lifecycle[0]!.detail }]);
    }
  });

  it('a rule with groupWindowSeconds sends its firings of the window as one message listing them, across an engine restart', async () => {
    const alice = await traderOf('alice');
    const r = await engine.service.engine.rules.create('alice', rule('ESZ6', { groupWindowSeconds: 9 }));
    await sleep(300);
    await ticksFor('ESZ6', 2_200);
    // The group is open in Redis: a new engine goes on with it.
    const grouping = (await view(r.id)).grouping;
    expect(grouping?.alertId).toMatch(/^a[0-9a-f]{24}$/);
    await engine.stop();
    engine = await startLocalEngine(config, 'flap-test-2');
    redis = engine.redis;
    await sleep(500);
    await ticksFor('ESZ6', 2_200);
    await waitFor(() => shownOf(alice, r.id).length > 0, 12_000, 'the group message');
    await sleep(1_000);
    const [msg, ...others] = shownOf(alice, r.id);
    expect(others).toEqual([]);
    expect(msg!.id).toBe(grouping!.alertId);
    const all = await ofRule('alice', r.id);
    const members = all.filter((a) => a.state === 'grouped');
    const k = members.length + 1;
    expect(k).toBeGreaterThanOrEqual(4);
    // Firings from both engines' time in the one message.
    const lead = all.find((a) => a.id === msg!.id)!;
    expect(lead.group!.firings.map((f) => f.id).sort()).toEqual(all.map((a) => a.id).sort());
    expect(msg!.body).toContain(`${k} firings: `);
    for (const f of lead.group!.firings) expect(msg!.body).toContain(`${f.price} at `);
    const listed = msg!.stanza.getChild('group', NS_ALERT_GROUP)!;
    expect(
      listed
        .getChildren('firing')
        .map((f) => String(f.attrs.id))
        .sort(),
    ).toEqual(all.map((a) => a.id).sort());
    for (const m of members)
      expect(await auditOf(m.id)).toEqual([
        { event: 'grouped', detail: stringMatching(new RegExp(`^into=${msg!.id} `)) },
      ]);
    expect((await auditOf(msg!.id)).map((a) => a.event)).toEqual(expect.arrayContaining(['fired', 'grouped', 'sent']));
    // The receipt on the group message confirms it.
    await expect
      .poll(async () => (await engine.service.engine.alerts.get(msg!.id))?.state, { timeout: 5_000 })
      .toBe('delivered');
  });

  it('a rule whose firings go over the per-rule rate cap shows it is rate-capped', async () => {
    await traderOf('dan');
    const r = await engine.service.engine.rules.create('dan', rule('EURUSD', { threshold: '1.5' }));
    await sleep(300);
    expect((await view(r.id)).limited).toBeUndefined();
    await ticksFor('EURUSD', 6_500);
    await expect
      .poll(async () => (await ofRule('dan', r.id)).some((a) => a.state === 'suppressed'), { timeout: 5_000 })
      .toBe(true);
    expect((await view(r.id)).limited).toMatchObject({
      reason: 'rate-cap',
      detail: 'per-rule cap 4/60s',
      since: anyString,
      until: anyString,
    });
  });
});
