import { describe, expect, it } from 'vitest';
import type { Rule } from '@tickdesk/schemas';
import { decideFlap, firingsOf } from './flap-decision.js';

type R = Parameters<typeof decideFlap>[0];
const base: R = { id: 'r1', version: 2, frequency: 'every-time' };
const T = 1_765_000_000_000_000; // µs
const now = 1_765_000_000_000; // ms

describe('flap control decision', () => {
  it('lets everything through for a rule without flap fields, and for once rules', () => {
    expect(decideFlap(base, { v: 2, n: 99, last: T }, T, now)).toEqual({ kind: 'send' });
    expect(decideFlap({ ...base, frequency: 'once', maxFirings: 1 }, { v: 2, n: 5 }, T, now)).toEqual({
      kind: 'send',
    });
  });

  it('counts only the firings of the current rule version (a change or a resume starts again)', () => {
    const r = { ...base, maxFirings: 3 };
    expect(firingsOf(r, { v: 2, n: 3 })).toBe(3);
    expect(firingsOf(r, { v: 1, n: 3 })).toBe(0);
    expect(decideFlap(r, { v: 2, n: 2 }, T, now).kind).toBe('send');
    expect(decideFlap(r, { v: 2, n: 3 }, T, now).kind).toBe('spent');
    expect(decideFlap(r, { v: 1, n: 3 }, T, now).kind).toBe('send');
  });

  it('holds back a firing within the minimum gap of the last one let through, saying why', () => {
    const r = { ...base, minGapSeconds: 60 };
    const v = decideFlap(r, { last: T }, T + 59_999_000, now);
    expect(v).toEqual({ kind: 'gap', detail: 'reason=min-gap gap=60s since-last=59999ms', waitMs: 1 });
    expect(decideFlap(r, { last: T }, T + 60_000_000, now).kind).toBe('send');
    expect(decideFlap(r, {}, T, now).kind).toBe('send');
  });

  it('joins an open group while its window lasts, else opens one', () => {
    const r = { ...base, groupWindowSeconds: 30 } as Pick<Rule, 'id' | 'version' | 'frequency'> & R;
    expect(decideFlap(r, {}, T, now)).toEqual({ kind: 'open', windowMs: 30_000 });
    expect(decideFlap(r, { group: 'a1', groupUntil: now + 1 }, T, now)).toEqual({
      kind: 'join',
      into: 'a1',
      windowMs: 30_000,
    });
    expect(decideFlap(r, { group: 'a1', groupUntil: now }, T, now).kind).toBe('open');
  });

  it('checks the limit before the gap, and the gap before grouping', () => {
    const r = { ...base, maxFirings: 1, minGapSeconds: 10, groupWindowSeconds: 30 };
    expect(decideFlap(r, { v: 2, n: 1, last: T }, T + 1, now).kind).toBe('spent');
    expect(decideFlap(r, { v: 2, n: 0, last: T, group: 'a1', groupUntil: now + 1 }, T + 1, now).kind).toBe('gap');
  });
});
