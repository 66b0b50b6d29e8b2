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

describe('XMPP client reconnect defaults', () => {
  it('wait at most 2 s between attempts, so a restarted server is reached well within 10 s', async () => {
    const { DEFAULT_RECONNECT } = await import('./client.js');
    const b = createBackoff({ ...DEFAULT_RECONNECT, random: () => 0.999999 });
    const delays = Array.from({ length: 20 }, () => b.next().delayMs);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2_000);
    expect(delays[0]).toBeLessThanOrEqual(250);
    // Attempts while a server restarts (about 1 s down): the 4th starts within 4 s of the drop.
    expect(delays.slice(0, 4).reduce((a, d) => a + d, 0)).toBeLessThanOrEqual(4_000);
  });
});
