import { describe, expect, it } from 'vitest';
import { createAlertLimits } from './alert-limits.js';

describe('alert rate caps', () => {
  it('lets at most perRule alerts of one rule through in any window; the rest are refused naming the cap', () => {
    let t = 0;
    const limits = createAlertLimits({ perRule: 3, perOwner: 100, windowMs: 10_000, now: () => t });
    const verdicts = Array.from({ length: 5 }, () => limits.take('r1', 'alice'));
    expect(verdicts.map((v) => v.ok)).toEqual([true, true, true, false, false]);
    expect(verdicts[3]).toEqual({ ok: false, cap: 'rule', limit: 3, windowMs: 10_000 });
    expect(limits.take('r2', 'alice').ok).toBe(true); // another rule has its own budget
    t = 9_999;
    expect(limits.take('r1', 'alice').ok).toBe(false);
    t = 10_000; // the first three have left the window
    expect([1, 2, 3, 4].map(() => limits.take('r1', 'alice').ok)).toEqual([true, true, true, false]);
  });

  it('caps an owner over all of their rules; refused firings do not use the budget', () => {
    let t = 0;
    const limits = createAlertLimits({ perRule: 2, perOwner: 3, windowMs: 1_000, now: () => t });
    const seen = ['r1', 'r1', 'r1', 'r2', 'r3', 'r4'].map((r) => limits.take(r, 'alice'));
    expect(seen.map((v) => (v.ok ? 'ok' : v.cap))).toEqual(['ok', 'ok', 'rule', 'ok', 'owner', 'owner']);
    expect(limits.take('r9', 'bob').ok).toBe(true);
    t = 500;
    expect(limits.take('r5', 'alice')).toEqual({ ok: false, cap: 'owner', limit: 3, windowMs: 1_000 });
    t = 1_000;
    expect(limits.take('r5', 'alice').ok).toBe(true);
  });

  it('forgets idle keys, so memory follows the active rules', () => {
    let t = 0;
    const limits = createAlertLimits({ perRule: 5, perOwner: 5, windowMs: 1_000, now: () => t });
    for (let i = 0; i < 50; i++) limits.take(`r${i}`, `u${i}`);
    expect(limits.size()).toBe(100);
    t = 2_000;
    limits.sweep();
    expect(limits.size()).toBe(0);
  });
});
