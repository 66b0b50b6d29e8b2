import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { RuleInput, TickRow } from '@tickdesk/schemas';
import { engineKeys } from '@tickdesk/store';
import { createAlertLimits } from './alert-limits.js';
import { createAlertsMetrics } from './alerts-metrics.js';
import { createFiringWriter } from './firing-writer.js';
import { createRuleSync } from './rule-sync.js';
import { createRuleIndex } from './rules/index.js';
import {
  createAlertStore,
  createAuditChain,
  createRuleStore,
  type RuleStore,
  type StoredAlert,
} from './store/index.js';
import { usePrivateRedis } from './store/redis.test-util.js';
import { createSuppressionLedger } from './suppression-ledger.js';

/*
 * A once rule fires once, whatever an engine kill leaves behind: the engine that stored the
 * rule's alert is killed before the rule's `triggered` status is written (and before its
 * watermark), and the tick that fired it is not evaluated again (the read-back starts after
 * it, or another engine took the instrument over). A second crossing must not fire it again.
 */
const redis = usePrivateRedis();
const log = pino({ level: 'silent' });
const T0 = Date.parse('2026-12-06T07:00:00Z');
const input: RuleInput = {
  symbol: 'BTCUSDT',
  condition: 'crossing-up',
  threshold: '65000',
  frequency: 'once',
  priority: 'normal',
};
const row = (seq: number, price: string): TickRow => ({
  seq,
  price,
  size: '1',
  side: 'buy',
  eventMicros: (T0 + seq) * 1000,
  ingestMicros: (T0 + seq) * 1000,
});

/** One engine process's evaluation path (rule sync, index, firing writer) on the shared Redis; `killedBeforeStatus`: it dies before any status write lands. */
async function engineProcess({ killedBeforeStatus = false } = {}) {
  const store = createRuleStore({ redis: redis.client });
  const rules = killedBeforeStatus
    ? ({
        ...store,
        setStatus: async () => {
          throw new Error('killed');
        },
      } as RuleStore)
    : store;
  const index = createRuleIndex();
  const alerts = createAlertStore({ redis: redis.client });
  const firedKey = engineKeys().fired;
  const sync = createRuleSync({
    rules,
    index,
    log,
    lastFired: async () => new Map(),
    firedOnce: (candidates) => alerts.firedOnce(candidates),
  });
  await sync.start();
  const writer = createFiringWriter({
    redis: redis.client,
    alerts,
    audit: createAuditChain({ redis: redis.client, now: () => T0 }),
    rules,
    limits: createAlertLimits({ perRule: 10, perOwner: 60, windowMs: 60_000 }),
    suppressions: createSuppressionLedger({ summaryMs: 10_000 }),
    metrics: createAlertsMetrics(),
    ruleOf: (id) => sync.get(id),
    forget: (id) => sync.forget(id),
    firedKey,
    now: () => T0,
  });
  /** Evaluates the ticks and writes their firings as the engine does: the alerts it would send. */
  async function run(ticks: TickRow[]): Promise<StoredAlert[]> {
    const sent: StoredAlert[] = [];
    for (const f of index.evaluate('BTCUSDT', ticks)) {
      const a = await writer.persist(f);
      if (a) sent.push(a);
    }
    return sent;
  }
  return { index, sync, run, stop: () => sync.stop() };
}

const alertsOf = async (ruleId: string) =>
  (await createAlertStore({ redis: redis.client }).list({ trader: 'alice', limit: 100 })).alerts.filter(
    (a) => a.ruleId === ruleId,
  );

describe('a once rule whose engine was killed between storing its alert and marking it triggered', () => {
  it('is not fired again by the restarted engine on a later crossing', async () => {
    const rule = await createRuleStore({ redis: redis.client }).create('alice', input);
    const first = await engineProcess({ killedBeforeStatus: true });
    await expect(first.run([row(1, '64999'), row(2, '65001')])).rejects.toThrow(/killed/);
    await first.stop();

    // Restarted: its read-back starts after seq 2 (the node no longer holds it).
    const second = await engineProcess();
    expect(second.index.size).toBe(0); // retired on load
    expect((await createRuleStore({ redis: redis.client }).get(rule.id))?.status).toBe('triggered');
    const sent = await second.run([row(1, '64999'), row(3, '64990'), row(4, '65010')]);
    await second.stop();
    expect(sent).toEqual([]);
    expect((await alertsOf(rule.id)).map((a) => a.tickSeq)).toEqual([2]);
    expect((await createRuleStore({ redis: redis.client }).get(rule.id))?.status).toBe('triggered');
    expect(second.index.size).toBe(0);
  });

  it('is not fired again by another engine that had the rule loaded before the kill (a takeover)', async () => {
    const rule = await createRuleStore({ redis: redis.client }).create('alice', input);
    const survivor = await engineProcess(); // loaded the rule while it was active
    const victim = await engineProcess({ killedBeforeStatus: true });
    await expect(victim.run([row(1, '64999'), row(2, '65001')])).rejects.toThrow(/killed/);
    await victim.stop();

    const sent = await survivor.run([row(3, '64990'), row(4, '65010')]);
    await survivor.stop();
    expect(sent).toEqual([]);
    expect((await alertsOf(rule.id)).map((a) => a.tickSeq)).toEqual([2]);
    expect((await createRuleStore({ redis: redis.client }).get(rule.id))?.status).toBe('triggered');
    expect(survivor.index.size).toBe(0);
  });

  it('is retired by an engine taking its instrument over before any tick', async () => {
    const rule = await createRuleStore({ redis: redis.client }).create('alice', input);
    const survivor = await engineProcess();
    const victim = await engineProcess({ killedBeforeStatus: true });
    await expect(victim.run([row(1, '64999'), row(2, '65001')])).rejects.toThrow(/killed/);
    await victim.stop();
    expect(survivor.index.size).toBe(1);
    await survivor.sync.reloadSymbol('BTCUSDT'); // what a new lease holder does first
    expect(survivor.index.size).toBe(0);
    expect((await createRuleStore({ redis: redis.client }).get(rule.id))?.status).toBe('triggered');
    const sent = await survivor.run([row(3, '64990'), row(4, '65010')]);
    await survivor.stop();
    expect(sent).toEqual([]);
    expect((await alertsOf(rule.id)).map((a) => a.tickSeq)).toEqual([2]);
    expect((await createRuleStore({ redis: redis.client }).get(rule.id))?.status).toBe('triggered');
    expect(survivor.index.size).toBe(0);
  });
});
