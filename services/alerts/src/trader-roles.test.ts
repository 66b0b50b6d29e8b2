import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createTraderRoles } from './trader-roles.js';

function harness(roles: Record<string, string>) {
  const calls: string[] = [];
  let release: () => void = () => undefined;
  let hold = false;
  const redis = { hgetall: async (key: string) => (calls.push(`read ${key}`), { ...roles }) } as unknown as Redis;
  const t = createTraderRoles({
    redis,
    prefix: 'td:',
    onTrader: (u) => void calls.push(`trader ${u}`),
    onDisabled: async (u, running) => {
      calls.push(`disabled ${u} ${running}`);
      if (hold) await new Promise<void>((r) => (release = r));
    },
    onEnabled: (u) => void calls.push(`enabled ${u}`),
  });
  return { t, calls, roles, holdNext: () => (hold = true), release: () => release() };
}

describe('trader roles', () => {
  it('tracks traders once, drops a trader whose role changes, and reports disabled accounts', async () => {
    const h = harness({ alice: 'trader', ana: 'analyst' });
    await h.t.refresh(false);
    await h.t.refresh(true);
    expect([...h.t.traders]).toEqual(['alice']);
    expect(h.calls.filter((c) => c.startsWith('trader'))).toEqual(['trader alice']);
    h.roles.alice = 'disabled';
    await h.t.refresh(true);
    expect(h.t.traders.has('alice')).toBe(false);
    expect(h.calls).toContain('disabled alice true');
    expect(h.calls).toContain('enabled ana');
  });

  it('does not overlap a refresh that is still pausing rules: one asked for meanwhile reads once after it', async () => {
    const h = harness({ dan: 'disabled' });
    h.holdNext();
    const first = h.t.refresh(true);
    await new Promise((r) => setTimeout(r, 0));
    const second = h.t.refresh(true);
    void h.t.refresh(true);
    expect(h.calls.filter((c) => c.startsWith('read'))).toEqual(['read td:users']);
    h.release();
    await new Promise((r) => setTimeout(r, 0));
    h.release();
    await Promise.all([first, second]);
    expect(h.calls.filter((c) => c.startsWith('read'))).toEqual(['read td:users', 'read td:users']);
  });
});
