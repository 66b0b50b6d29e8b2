import { describe, expect, it } from 'vitest';
import { silenceActive, silenceEnd, silenceProblem, type SilenceInput } from './silence.js';

const NOW = Date.parse('2026-12-06T12:00:00.000Z');
const at = (ms: number) => new Date(ms).toISOString();
const base: SilenceInput = { symbol: 'BTCUSDT', until: at(NOW + 3_600_000), reason: 'lunch' };
const MAX = 7 * 24 * 3600;

describe('silenceProblem', () => {
  it('accepts a silence on an instrument or on a rule', () => {
    expect(silenceProblem(base, NOW, MAX)).toBeUndefined();
    const { symbol: _s, ...rest } = base;
    expect(silenceProblem({ ...rest, ruleId: 'r1' }, NOW, MAX)).toBeUndefined();
  });

  it('wants exactly one of symbol and ruleId', () => {
    const { symbol: _s, ...neither } = base;
    expect(silenceProblem(neither, NOW, MAX)?.field).toBe('symbol');
    expect(silenceProblem({ ...base, ruleId: 'r1' }, NOW, MAX)?.field).toBe('symbol');
  });

  it('refuses an until in the past, now, or before from', () => {
    expect(silenceProblem({ ...base, until: at(NOW - 1) }, NOW, MAX)).toEqual({
      field: 'until',
      message: 'must be in the future',
    });
    expect(silenceProblem({ ...base, until: at(NOW) }, NOW, MAX)?.field).toBe('until');
    const from = at(NOW + 7_200_000);
    expect(silenceProblem({ ...base, from }, NOW, MAX)?.message).toBe('must be after from');
  });

  it('refuses a silence longer than the maximum, counted from its start', () => {
    expect(silenceProblem({ ...base, until: at(NOW + MAX * 1000) }, NOW, MAX)).toBeUndefined();
    expect(silenceProblem({ ...base, until: at(NOW + MAX * 1000 + 1) }, NOW, MAX)?.field).toBe('until');
    expect(silenceProblem({ ...base, until: at(NOW + 4_000_000) }, NOW, 3600)?.message).toMatch(/at most 3600 s/);
  });

  it('refuses a blank reason or one with a character XML forbids', () => {
    expect(silenceProblem({ ...base, reason: '  ' }, NOW, MAX)?.field).toBe('reason');
    expect(silenceProblem({ ...base, reason: 'a\u0007b' }, NOW, MAX)).toEqual({
      field: 'reason',
      message: 'must not contain the control character U+0007 (at character 2)',
    });
  });
});

describe('silenceActive', () => {
  const s = { from: at(NOW), until: at(NOW + 1000) };
  it('holds from its start up to (not at) its end, or until it was ended', () => {
    expect(silenceActive(s, NOW - 1)).toBe(false);
    expect(silenceActive(s, NOW)).toBe(true);
    expect(silenceActive(s, NOW + 999)).toBe(true);
    expect(silenceActive(s, NOW + 1000)).toBe(false);
    expect(silenceActive({ ...s, endedAt: at(NOW + 10) }, NOW + 10)).toBe(false);
    expect(silenceEnd({ ...s, endedAt: at(NOW + 10) })).toBe(NOW + 10);
  });
});
