import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { Rule, RuleInput } from './rule.js';
import { validateRuleInput } from './rule-validation.js';

const ctx = { symbols: new Set(['BTCUSDT']), nowMicros: Date.parse('2026-12-06T10:00:00Z') * 1000 };
const rule = (extra: Record<string, unknown>, frequency = 'every-time') => ({
  symbol: 'BTCUSDT',
  condition: 'crossing',
  threshold: '65000',
  frequency,
  ...(frequency === 'once-per-bar' ? { interval: '1s' } : {}),
  priority: 'normal',
  ...extra,
});

describe('rule flap control fields', () => {
  it('accepts each field at its bounds and keeps it', () => {
    const ok = { maxFirings: 10_000, minGapSeconds: 86_400, groupWindowSeconds: 3_600 };
    expect(validateRuleInput(rule(ok), ctx)).toMatchObject({ ok: true, value: ok });
    const low = { maxFirings: 1, minGapSeconds: 1, groupWindowSeconds: 1 };
    expect(validateRuleInput(rule(low, 'once-per-bar'), ctx)).toMatchObject({ ok: true, value: low });
    expect(Value.Check(RuleInput, { ...rule(ok), cooldownSeconds: 60 })).toBe(true);
  });

  it('refuses a value out of bounds or not a whole number, naming the field', () => {
    for (const [field, bad] of [
      ['maxFirings', 0],
      ['maxFirings', 10_001],
      ['minGapSeconds', 86_401],
      ['groupWindowSeconds', 3_601],
      ['groupWindowSeconds', 1.5],
      ['minGapSeconds', '60'],
    ] as const) {
      const r = validateRuleInput(rule({ [field]: bad }), ctx);
      expect(r, `${field}=${bad}`).toMatchObject({ ok: false, field });
    }
  });

  it('refuses them on a once rule, which fires once anyway', () => {
    expect(validateRuleInput(rule({ maxFirings: 3 }, 'once'), ctx)).toMatchObject({ ok: false, field: 'maxFirings' });
  });

  it('a stored rule without them, or with the engine’s pause reason, is still a Rule', () => {
    const stored = {
      ...rule({}),
      cooldownSeconds: 60,
      id: 'r1',
      owner: 'alice',
      status: 'paused',
      createdAt: '2026-12-06T10:00:00Z',
      updatedAt: '2026-12-06T10:00:00Z',
      version: 3,
    };
    expect(Value.Check(Rule, stored)).toBe(true);
    expect(
      Value.Check(Rule, {
        ...stored,
        maxFirings: 3,
        pausedReason: 'firing-limit',
        pausedAt: '2026-12-06T10:00:01.000Z',
        firings: 3,
        limited: { reason: 'firing-limit', since: '2026-12-06T10:00:01.000Z' },
      }),
    ).toBe(true);
  });
});
