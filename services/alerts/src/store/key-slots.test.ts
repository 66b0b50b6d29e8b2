import { beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { AUDIT_EVENTS, type RuleInput } from '@tickdesk/schemas';
import { createEngineHeartbeat, createPresenceStore, createRoleStore } from '@tickdesk/store';
import { createAlertStore } from './alert-store.js';
import { createAuditChain } from './audit-chain.js';
import { createRuleStore } from './rule-store.js';
import { usePrivateRedis } from './redis.test-util.js';
import { multiKeyOperations } from '../../../../test/support/slot-monitor.js';
import type { StoredAlert } from './alert-record.js';

const redis = usePrivateRedis({ flush: false });
let admin: Redis;
beforeAll(() => {
  admin = redis.connect();
});

const T0 = Date.parse('2026-11-21T10:00:00.000Z');
const input: RuleInput = {
  symbol: 'BTCUSDT',
  condition: 'crossing-up',
  threshold: '65000',
  frequency: 'once',
  priority: 'normal',
};
const alert = (n: number, owner: string, symbol: string): StoredAlert => ({
  id: `a${n}`,
  ruleId: 'r1',
  owner,
  recipient: owner,
  symbol,
  condition: 'crossing-up',
  threshold: '65000',
  price: '65000.5',
  tickSeq: n,
  eventTime: '2026-11-21T09:59:59.999Z',
  firedAt: new Date(T0 + n).toISOString(),
  priority: 'normal',
  body: 'BTCUSDT crossed up through 65000',
  state: 'pending',
  attempts: 0,
  nextActionAt: T0 + n,
  lifecycle: [{ event: 'fired', at: new Date(T0 + n).toISOString() }],
});

describe('Redis Cluster slots of what the alert engine and the API run (docs/architecture.md, "Redis key layout")', () => {
  it('every MULTI and every script of the rule, alert, audit, presence, role and heartbeat stores touches one slot', async () => {
    const ops = await multiKeyOperations(admin, async () => {
      const rules = createRuleStore({ redis: redis.client });
      const rule = await rules.create('alice', input);
      await rules.update(rule.id, { ...input, threshold: '66000' });
      await rules.setStatus(rule.id, 'paused');
      await rules.create('bob', input);
      await rules.remove(rule.id);
      const alerts = createAlertStore({ redis: redis.client });
      for (const [n, owner, symbol] of [
        [1, 'alice', 'BTCUSDT'],
        [2, 'bob', 'EURUSD'],
        [3, 'dan', 'ETH-PERP'],
      ] as const) {
        await alerts.create(alert(n, owner, symbol));
        await alerts.transition(`a${n}`, { state: 'held' }, { event: 'held', at: new Date(T0 + 10).toISOString() });
        await alerts.transition(
          `a${n}`,
          { state: 'sent', attempts: 1 },
          { event: 'sent', at: new Date(T0 + 20).toISOString() },
        );
      }
      // A once rule's firing (its once-fired mark) and a repeating rule's under the shared caps.
      await alerts.create(alert(4, 'alice', 'BTCUSDT'), { onceVersion: 1 });
      await alerts.create(
        { ...alert(5, 'bob', 'EURUSD'), ruleId: 'r2' },
        { caps: { now: T0, windowMs: 60_000, perRule: 10, perOwner: 60 } },
      );
      const audit = createAuditChain({ redis: redis.client, now: () => T0 });
      for (let i = 0; i < 6; i++) {
        await audit.append({
          alertId: `a${i % 3}`,
          trader: ['alice', 'bob', 'dan'][i % 3]!,
          symbol: ['BTCUSDT', 'EURUSD'][i % 2]!,
          event: AUDIT_EVENTS[i]!,
          stanzaHash: '',
        });
      }
      await audit.verify();
      await createPresenceStore({ redis: redis.client }).publish({
        trader: 'alice',
        show: 'dnd',
        since: new Date(T0).toISOString(),
      });
      await createRoleStore({ redis: redis.client }).set('alice', 'trader');
      await createEngineHeartbeat({ redis: redis.client }).write({ state: 'running', at: T0, pid: 1 });
    });
    // The scenario really ran the scripts and transactions it is about.
    expect(ops.filter((o) => o.kind === 'script').length).toBeGreaterThanOrEqual(4 + 9 + 2 + 6);
    expect(ops.some((o) => o.kind === 'multi')).toBe(true);
    const spread = ops
      .filter((o) => o.slots.length > 1)
      .map((o) => `${o.kind} ${o.commands.join(',')}: ${o.keys.join(' ')}`);
    expect(spread).toEqual([]);
  });
});
