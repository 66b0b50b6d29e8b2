import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Rule } from '@tickdesk/schemas';
import { createRuleSync } from './rule-sync.js';
import type { RuleIndex, RuleSpec } from './rules/index.js';
import type { RuleStore } from './store/index.js';

const rule = (id: string, symbol: string): Rule => ({
  id,
  owner: 'alice',
  symbol,
  condition: 'greater-than',
  threshold: '1',
  frequency: 'every-time',
  cooldownSeconds: 60,
  priority: 'normal',
  status: 'active',
  createdAt: '2026-12-06T07:00:00Z',
  updatedAt: '2026-12-06T07:00:00Z',
  version: 1,
});

describe('rule sync, an instrument taken over from another engine', () => {
  it("re-reads the instrument's rules with their last firing from Redis, so a cooldown the other engine started holds here too", async () => {
    const upserts: RuleSpec[] = [];
    const index = { upsert: (s: RuleSpec) => void upserts.push(s), remove: () => true } as unknown as RuleIndex;
    const rules = {
      subscribe: async () => async () => undefined,
      async *all() {
        yield rule('r1', 'BTCUSDT');
        yield rule('r2', 'EURUSD');
      },
    } as unknown as RuleStore;
    const fired = new Map<string, number>();
    const sync = createRuleSync({
      rules,
      index,
      log: pino({ level: 'silent' }),
      lastFired: async (ids) => new Map(ids.flatMap((id) => (fired.has(id) ? [[id, fired.get(id)!] as const] : []))),
    });
    await sync.start();
    expect(upserts.map((s) => [s.id, s.lastFiredMicros])).toEqual([
      ['r1', undefined],
      ['r2', undefined],
    ]);
    fired.set('r1', 1_765_000_000_000_000); // the other engine fired r1 meanwhile
    upserts.length = 0;
    await sync.reloadSymbol('BTCUSDT');
    expect(upserts.map((s) => [s.id, s.lastFiredMicros])).toEqual([['r1', 1_765_000_000_000_000]]);
  });
});
