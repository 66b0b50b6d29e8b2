import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { RuleInput } from './rule.js';
import { DEFAULT_MIN_COOLDOWN_SECONDS, validateRuleInput } from './rule-validation.js';

const ctx = { symbols: new Set(['BTCUSDT']), nowMicros: Date.parse('2026-11-21T10:00:00Z') * 1000 };
const everyTime = (cooldownSeconds?: number) => ({
  symbol: 'BTCUSDT',
  condition: 'crossing',
  threshold: '65000',
  frequency: 'every-time',
  priority: 'normal',
  ...(cooldownSeconds === undefined ? {} : { cooldownSeconds }),
});

describe('every-time rules: a minimum cooldown', () => {
  it('refuses a cooldown below the minimum, naming cooldownSeconds and the minimum', () => {
    for (const c of [0, 1, DEFAULT_MIN_COOLDOWN_SECONDS - 1]) {
      const r = validateRuleInput(everyTime(c), ctx);
      expect(r, `cooldown ${c}`).toMatchObject({ ok: false, field: 'cooldownSeconds' });
      expect(r.ok ? '' : r.message).toContain(`from ${DEFAULT_MIN_COOLDOWN_SECONDS}`);
    }
    expect(validateRuleInput(everyTime(DEFAULT_MIN_COOLDOWN_SECONDS), ctx)).toMatchObject({
      ok: true,
      value: { cooldownSeconds: DEFAULT_MIN_COOLDOWN_SECONDS },
    });
  });

  it('takes the minimum from the context when the desk sets another one', () => {
    expect(validateRuleInput(everyTime(20), { ...ctx, minCooldownSeconds: 30 })).toMatchObject({
      ok: false,
      field: 'cooldownSeconds',
    });
    expect(validateRuleInput(everyTime(30), { ...ctx, minCooldownSeconds: 30 }).ok).toBe(true);
    expect(validateRuleInput(everyTime(1), { ...ctx, minCooldownSeconds: 1 }).ok).toBe(true);
  });

  it('a default cooldown below a higher minimum is raised to the minimum', () => {
    expect(validateRuleInput(everyTime(), { ...ctx, minCooldownSeconds: 120 })).toMatchObject({
      ok: true,
      value: { cooldownSeconds: 120 },
    });
  });

  it('the schema never admits a zero cooldown', () => {
    expect(Value.Check(RuleInput, { ...everyTime(0) })).toBe(false);
    expect(Value.Check(RuleInput, { ...everyTime(1) })).toBe(true);
  });
});
