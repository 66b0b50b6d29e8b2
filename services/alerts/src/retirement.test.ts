import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Rule, RuleStatus } from '@tickdesk/schemas';
import { createAlertsMetrics } from './alerts-metrics.js';
import type { Retirement } from './delivery.js';
import { createRetirement } from './retirement.js';
import type { AuditChain, AuditEntry, RuleStore, StoredAlert } from './store/index.js';

const log = pino({ level: 'silent' });
const ruleOf = (id: string, owner: string, status: RuleStatus): Rule => ({
  id,
  owner,
  status,
  symbol: 'BTCUSDT',
  condition: 'greater-than',
  threshold: '1',
  frequency: 'every-time',
  cooldownSeconds: 10,
  priority: 'normal',
  createdAt: '2026-12-06T10:00:00Z',
  updatedAt: '2026-12-06T10:00:00Z',
  version: 1,
});
const alertOf = (id: string, ruleId: string, owner: string, recipient = owner) =>
  ({ id, ruleId, owner, recipient, state: 'sent' }) as StoredAlert;

function setup(rules: Rule[], outbox: StoredAlert[]) {
  const byId = new Map(rules.map((r) => [r.id, r]));
  const appended: AuditEntry[] = [];
  const passes: Array<Array<[string, Retirement | undefined]>> = [];
  const store = {
    get: async (id: string) => byId.get(id),
    list: async ({ owner }: { owner?: string }) => [...byId.values()].filter((r) => r.owner === owner),
    async setStatus(id: string, status: RuleStatus, version?: number) {
      const r = byId.get(id);
      if (!r) return 'not-found';
      if (version !== undefined && version !== r.version) return 'version-conflict';
      const next = { ...r, status, version: r.version + 1 };
      byId.set(id, next);
      return next;
    },
  } as unknown as RuleStore;
  const audit = { append: async (e: AuditEntry) => void appended.push(e) } as unknown as AuditChain;
  const metrics = createAlertsMetrics();
  const retirement = createRetirement({
    rules: store,
    audit,
    log,
    metrics,
    async retireWhere(match) {
      const pass = outbox.map((a) => [a.id, match(a)] as [string, Retirement | undefined]);
      passes.push(pass);
      return pass.filter(([, why]) => why).length;
    },
  });
  return { retirement, byId, appended, passes, metrics };
}

describe('retirement', () => {
  it("rule changes arriving together share one pass over the outbox, each alert with its rule's reason", async () => {
    const t = setup([], [alertOf('a1', 'r1', 'alice'), alertOf('a2', 'r2', 'alice'), alertOf('a3', 'r3', 'bob')]);
    t.retirement.ruleLeft('r1', 'deleted');
    t.retirement.ruleLeft('r2', 'paused', ruleOf('r2', 'alice', 'paused'));
    await new Promise((r) => setTimeout(r, 120));
    expect(t.passes).toEqual([
      [
        ['a1', { kind: 'rule-deleted', detail: 'rule r1 deleted' }],
        ['a2', { kind: 'rule-paused', detail: 'rule r2 paused' }],
        ['a3', undefined],
      ],
    ]);
  });

  it('tells why an alert must not be sent again: its rule gone or paused, its owner or escalated recipient disabled', async () => {
    const t = setup(
      [ruleOf('r1', 'alice', 'active'), ruleOf('r2', 'alice', 'paused'), ruleOf('r3', 'alice', 'triggered')],
      [],
    );
    expect(await t.retirement.reasonFor(alertOf('a1', 'r1', 'alice'))).toBeUndefined();
    expect(await t.retirement.reasonFor(alertOf('a3', 'r3', 'alice'))).toBeUndefined(); // a once rule that fired: its alert still goes
    expect(await t.retirement.reasonFor(alertOf('a2', 'r2', 'alice'))).toEqual({
      kind: 'rule-paused',
      detail: 'rule r2 paused',
    });
    expect(await t.retirement.reasonFor(alertOf('a9', 'r9', 'alice'))).toEqual({
      kind: 'rule-deleted',
      detail: 'rule r9 deleted',
    });
    await t.retirement.traderDisabled('dan', false);
    expect(t.retirement.isDisabled('dan')).toBe(true);
    expect(await t.retirement.reasonFor(alertOf('a4', 'r1', 'alice', 'dan'))).toEqual({
      kind: 'backup-disabled',
      detail: 'backup dan disabled',
    });
    t.retirement.traderEnabled('dan');
    expect(t.retirement.isDisabled('dan')).toBe(false);
  });

  it("disabling pauses the trader's active rules only, one audit record each, and retires alerts to them or escalated to them", async () => {
    const t = setup(
      [
        ruleOf('r1', 'dan', 'active'),
        ruleOf('r2', 'dan', 'triggered'),
        ruleOf('r3', 'dan', 'paused'),
        ruleOf('r4', 'alice', 'active'),
      ],
      [alertOf('a1', 'r1', 'dan'), alertOf('a2', 'r4', 'alice', 'dan'), alertOf('a3', 'r4', 'alice')],
    );
    await t.retirement.traderDisabled('dan', true);
    expect([...t.byId.values()].map((r) => [r.id, r.status])).toEqual([
      ['r1', 'paused'],
      ['r2', 'triggered'],
      ['r3', 'paused'],
      ['r4', 'active'],
    ]);
    expect(t.appended).toEqual([
      {
        alertId: 'r1',
        trader: 'dan',
        symbol: 'BTCUSDT',
        event: 'rule-paused',
        stanzaHash: '',
        detail: 'reason=trader-disabled',
      },
    ]);
    expect(t.passes).toEqual([
      [
        ['a1', { kind: 'trader-disabled', detail: 'trader dan disabled' }],
        ['a2', { kind: 'backup-disabled', detail: 'backup dan disabled' }],
        ['a3', undefined],
      ],
    ]);
    expect((await t.metrics.rulesPaused.get()).values[0]?.value).toBe(1);
    // Seen again on the next reading of roles: nothing more.
    await t.retirement.traderDisabled('dan', true);
    expect(t.appended).toHaveLength(1);
    expect(t.passes).toHaveLength(1);
  });
});
