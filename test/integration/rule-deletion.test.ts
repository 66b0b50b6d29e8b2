import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleInput } from '@tickdesk/schemas';
import { createSilenceStore, resolveAlertsConfig } from '@tickdesk/alerts';
import { alertKeys, engineKeys } from '@tickdesk/store';
import { startLocalEngine, type LocalEngine } from './local-engine.js';
import { publishPrices } from './trader.js';

/*
 * What a deleted rule leaves in Redis (docs/operations.md "Deleted rules"): its flap-control
 * hash, its last firing and its once-fired mark go with it, a silence naming it ends; its
 * alerts and their audit records stay (compliance).
 */
const SYMBOL = 'EURUSD';
const config = resolveAlertsConfig({ pollMs: 50, minCooldownSeconds: 1 });

let engine: LocalEngine;
let redis: Redis;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keys = alertKeys();
const firedKey = engineKeys().fired;

const rule = (over: Partial<RuleInput> = {}): RuleInput => ({
  ...{ symbol: SYMBOL, condition: 'greater-than', threshold: '2', priority: 'normal' },
  ...{ frequency: 'every-time', cooldownSeconds: 1 },
  ...over,
});

/** Ticks above 2 until `done` holds (at most 10 s): the rule reaches the engine's index within a moment. */
async function fireUntil(done: () => Promise<boolean>): Promise<void> {
  for (const end = Date.now() + 10_000; !(await done()); await sleep(250)) {
    if (Date.now() > end) throw new Error('the rule did not fire');
    await publishPrices(engine.feed, SYMBOL, [`2.${1000 + Math.floor(Math.random() * 8999)}`]);
  }
}

beforeAll(async () => {
  engine = await startLocalEngine(config, 'rule-deletion-test');
  redis = engine.redis;
});
afterAll(async () => {
  const { rules } = engine.service.engine;
  for await (const r of rules.all()) if (r.symbol === SYMBOL) await rules.remove(r.id);
  await engine?.stop();
});

describe('a deleted rule', () => {
  it('takes its flap-control hash and last firing with it; its alerts and audit records stay', async () => {
    const { rules, alerts, audit } = engine.service.engine;
    const r = await rules.create('alice', rule({ maxFirings: 50 }));
    await fireUntil(
      async () => (await redis.exists(keys.flap(r.id))) === 1 && (await redis.hexists(firedKey, r.id)) === 1,
    );
    const page = {
      trader: 'alice',
      symbol: SYMBOL,
      fromTime: new Date(Date.now() - 60_000).toISOString(),
      limit: 1_000,
    };
    const before = (await alerts.list(page)).alerts.filter((a) => a.ruleId === r.id);
    expect(before.length).toBeGreaterThan(0);

    expect(await rules.remove(r.id)).toBeTruthy();
    await expect.poll(() => redis.exists(keys.flap(r.id)), { timeout: 5_000 }).toBe(0);
    await expect.poll(() => redis.hexists(firedKey, r.id), { timeout: 5_000 }).toBe(0);
    // Each by its id: other files' alerts to alice may push these out of a newest-first page meanwhile.
    for (const a of before) expect((await alerts.get(a.id))?.ruleId).toBe(r.id);
    // Its first record: `fired`, or `suppressed` for a firing inside the rule's cooldown.
    const events = (await audit.range({ alertId: before[0]!.id, limit: 10 })).map((x) => x.event);
    expect(events[0]).toMatch(/^(fired|suppressed)$/);
  });

  it('takes its once-fired mark with it', async () => {
    const { rules } = engine.service.engine;
    const r = await rules.create('alice', rule({ frequency: 'once', cooldownSeconds: undefined }));
    await fireUntil(async () => (await redis.hexists(keys.onceFired, r.id)) === 1);
    await expect.poll(async () => (await rules.get(r.id))?.status, { timeout: 5_000 }).toBe('triggered');

    expect(await rules.remove(r.id)).toBeTruthy();
    await expect.poll(() => redis.hexists(keys.onceFired, r.id), { timeout: 5_000 }).toBe(0);
    await expect.poll(() => redis.hexists(firedKey, r.id), { timeout: 5_000 }).toBe(0);
  });

  it('ends a silence that names it (kept a day as ended); a silence of its instrument holds on', async () => {
    const { rules } = engine.service.engine;
    const silences = createSilenceStore({ redis });
    const r = await rules.create('alice', rule({ threshold: '1000' }));
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const onRule = await silences.create('alice', { ruleId: r.id, until, reason: 'quiet' }, Date.now());
    const onSymbol = await silences.create('alice', { symbol: SYMBOL, until, reason: 'quiet' }, Date.now());

    expect(await rules.remove(r.id)).toBeTruthy();
    await expect.poll(async () => (await silences.get(onRule!.id))?.endedAt, { timeout: 5_000 }).toBeDefined();
    expect((await silences.list('alice', Date.now())).map((s) => s.id)).toContain(onRule!.id);
    expect((await silences.get(onSymbol!.id))?.endedAt).toBeUndefined();
    await silences.end(onSymbol!, Date.now());
  });
});
