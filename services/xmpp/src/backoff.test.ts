import { describe, expect, it } from 'vitest';
import { createBackoff } from './backoff.js';

describe('reconnect backoff', () => {
  it('doubles the cap per attempt up to the maximum, with full jitter', () => {
    const b = createBackoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 6].map(() => b.next().delayMs)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads retries over [0, cap) and starts over after a reset', () => {
    const b = createBackoff({ initialMs: 100, maxMs: 1000, random: () => 0.5 });
    expect(b.next()).toEqual({ attempt: 1, delayMs: 50 });
    b.next();
    b.reset();
    expect(b.next()).toEqual({ attempt: 1, delayMs: 50 });
  });
});
