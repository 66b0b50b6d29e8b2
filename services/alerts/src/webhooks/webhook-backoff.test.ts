import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay } from './webhook-backoff.js';

const DEFAULTS = { attempts: 8, baseMs: 30_000, capMs: 1_200_000 };

describe('webhook backoff', () => {
  it('doubles from 30 s and caps at 20 min: 7 waits for 8 attempts, ~51 min at most', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7].map((n) => backoffCeiling(n, DEFAULTS) / 1000);
    expect(ceilings).toEqual([30, 60, 120, 240, 480, 960, 1200]);
    expect(ceilings.reduce((a, b) => a + b) / 60).toBeCloseTo(51.5, 1);
  });

  it('draws each wait uniformly below its ceiling (full jitter), and none after the last attempt', () => {
    expect(backoffDelay(3, DEFAULTS, () => 0)).toBe(0);
    expect(backoffDelay(3, DEFAULTS, () => 0.5)).toBe(60_000);
    expect(backoffDelay(3, DEFAULTS, () => 0.999999)).toBeLessThan(120_000);
    expect(backoffDelay(7, DEFAULTS, () => 0.5)).toBe(600_000);
    expect(backoffDelay(8, DEFAULTS, () => 0.5)).toBeUndefined();
    expect(backoffDelay(1, { ...DEFAULTS, attempts: 1 })).toBeUndefined();
  });

  it('never overflows for a large attempt count', () => {
    expect(backoffCeiling(1000, DEFAULTS)).toBe(1_200_000);
  });
});
