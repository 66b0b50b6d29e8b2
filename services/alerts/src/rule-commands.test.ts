import { describe, expect, it } from 'vitest';
import { createRuleCommands } from './rule-commands.js';
import { memoryRules } from './rule-commands.test-util.js';
import type { WriteBudget } from './write-budget.js';

function budgetOf(max: number): WriteBudget & { taken: string[] } {
  const taken: string[] = [];
  return {
    taken,
    async take(user) {
      taken.push(user);
      return taken.filter((u) => u === user).length <= max ? { ok: true } : { ok: false, retryAfterMs: 41_200 };
    },
  };
}

const input = { symbol: 'BTCUSDT', condition: 'crossing', threshold: '65000', frequency: 'once', priority: 'normal' };
const deps = (cap: number, budget: WriteBudget) =>
  createRuleCommands({
    rules: memoryRules(cap).store,
    symbols: new Set(['BTCUSDT']),
    traders: () => new Set(['alice', 'bob']),
    writeBudget: budget,
  });

describe('rule commands (chat and ad-hoc): the REST limits apply', () => {
  it('answers a clear reply when the trader has as many rules as allowed', async () => {
    const commands = deps(2, budgetOf(100));
    expect((await commands.add('alice', input)).ok).toBe(true);
    expect((await commands.add('alice', input)).ok).toBe(true);
    const refused = await commands.add('alice', input);
    expect(refused).toEqual({
      ok: false,
      text: 'Not added. You have 2 rules, the most allowed: delete one first (send "alerts" to list them).',
    });
    expect((await commands.add('bob', input)).ok).toBe(true);
  });

  it('counts every write (add, delete, pause, resume) in the shared budget and refuses past it, saying when to retry', async () => {
    const budget = budgetOf(3);
    const commands = deps(100, budget);
    const added = await commands.add('alice', input);
    const id = added.ok ? added.rule!.id : '';
    expect((await commands.setActive('alice', id, false)).ok).toBe(true);
    expect((await commands.setActive('alice', id, true)).ok).toBe(true);
    expect(await commands.remove('alice', id)).toEqual({
      ok: false,
      text: 'Too many changes: wait 42 s and try again.',
    });
    expect(await commands.add('alice', input)).toEqual({
      ok: false,
      text: 'Too many changes: wait 42 s and try again.',
    });
    expect(budget.taken).toEqual(['alice', 'alice', 'alice', 'alice', 'alice']);
    // Reading is not a write.
    expect((await commands.list('alice')).ok).toBe(true);
    expect(budget.taken).toHaveLength(5);
    expect((await commands.add('bob', input)).ok).toBe(true);
  });

  it('refuses a cooldown under the desk minimum, naming the field', async () => {
    const commands = createRuleCommands({
      rules: memoryRules(10).store,
      symbols: new Set(['BTCUSDT']),
      traders: () => new Set(['alice']),
      minCooldownSeconds: 30,
    });
    const out = await commands.add('alice', { ...input, frequency: 'every-time', cooldownSeconds: 5 });
    expect(out).toMatchObject({ ok: false, field: 'cooldownSeconds' });
    expect(out.text).toMatch(/^Not added\. cooldownSeconds: .*from 30/);
  });
});
