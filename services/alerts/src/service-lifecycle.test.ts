import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startParts, stopParts, type ServiceParts } from './service-lifecycle.js';

/** Fake parts recording every call; presence is ready when the test says so. */
function fakes({ sole = true, anchor = true } = {}) {
  const calls: string[] = [];
  let presenceReady: () => void = () => undefined;
  const part = (name: string) => ({
    start: async () => void calls.push(`${name}.start`),
    stop: async () => void calls.push(`${name}.stop`),
  });
  const parts: ServiceParts = {
    log: pino({ level: 'silent' }),
    commands: part('commands'),
    roles: { ...part('roles'), traders: new Set(['alice', 'bob']) },
    presence: {
      start: (traders) => {
        calls.push(`presence.start ${traders.join(',')}`);
        return new Promise<void>((r) => (presenceReady = () => (calls.push('presence.ready'), r())));
      },
      stop: () => void calls.push('presence.stop'),
    },
    engine: {
      ...part('engine'),
      catchUp: async () => void calls.push('engine.catchUp'),
      running: () => void calls.push('engine.running'),
      halt: () => void calls.push('engine.halt'),
    },
    sync: part('sync'),
    delivery: { ...part('delivery'), resume: async () => (calls.push('delivery.resume'), 0) },
    subscriber: part('subscriber'),
    ownership: { ...part('ownership'), sole },
    timers: {
      ...part('timers'),
      beat: async () => void calls.push('timers.beat'),
      clear: async () => void calls.push('timers.clear'),
    },
    retirement: { stop: async () => void calls.push('retirement.stop') },
    firings: { flushSuppressed: async (all) => void calls.push(`firings.flushSuppressed ${all}`) },
    ...(anchor ? { anchor: part('anchor') } : {}),
    rules: () => 0,
  };
  return { parts, calls, ready: () => presenceReady() };
}

describe('the alert service starts and stops its parts in order', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('starts everything, waits for presence (no timer), then resumes the outbox and runs', async () => {
    const f = fakes();
    let started = false;
    void startParts(f.parts).then(() => (started = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(f.calls).toEqual([
      'commands.start',
      'roles.start',
      'presence.start alice,bob',
      'engine.start',
      'sync.start',
      'delivery.start',
      'subscriber.start',
      'ownership.start',
      'engine.catchUp',
      'timers.start',
    ]);
    // However long presence takes, the outbox waits for it, and no fixed sleep is left.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(started).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    f.ready();
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toBe(true);
    expect(f.calls.slice(10)).toEqual([
      'presence.ready',
      'delivery.resume',
      'anchor.start',
      'engine.running',
      'timers.beat',
    ]);
  });

  it('several engines: no catch-up at start (each instrument is read back when its lease is taken)', async () => {
    const f = fakes({ sole: false, anchor: false });
    const done = startParts(f.parts);
    await vi.advanceTimersByTimeAsync(0);
    f.ready();
    await done;
    expect(f.calls).not.toContain('engine.catchUp');
    expect(f.calls).not.toContain('anchor.start');
  });

  it('stops intake first, lets the leases go, drains the queue, then delivery, the anchor and presence', async () => {
    const f = fakes();
    await stopParts(f.parts);
    expect(f.calls).toEqual([
      'commands.stop',
      'engine.halt',
      'timers.stop',
      'ownership.stop',
      'roles.stop',
      'timers.clear',
      'subscriber.stop',
      'engine.stop',
      'sync.stop',
      'retirement.stop',
      'firings.flushSuppressed true',
      'delivery.stop',
      'anchor.stop',
      'presence.stop',
    ]);
  });
});
