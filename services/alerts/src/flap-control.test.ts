import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Rule } from '@tickdesk/schemas';
import { createAlertsMetrics } from './alerts-metrics.js';
import { createFlapControl } from './flap-control.js';
import {
  createAlertStore,
  createFlapStore,
  type AuditChain,
  type AuditEntry,
  type StoredAlert,
} from './store/index.js';
import { usePrivateRedis } from './store/redis.test-util.js';

const redis = usePrivateRedis();
const T0 = Date.parse('2026-12-06T10:00:00Z');
const rule: Rule = {
  id: 'r1',
  owner: 'alice',
  symbol: 'BTCUSDT',
  condition: 'greater-than',
  threshold: '100',
  frequency: 'every-time',
  cooldownSeconds: 10,
  priority: 'normal',
  status: 'active',
  createdAt: '2026-12-06T09:00:00Z',
  updatedAt: '2026-12-06T09:00:00Z',
  version: 1,
};
const alertAt = (n: number): StoredAlert => ({
  id: `a${n}`,
  ruleId: 'r1',
  owner: 'alice',
  recipient: 'alice',
  symbol: 'BTCUSDT',
  condition: 'greater-than',
  threshold: '100',
  price: `10${n}`,
  tickSeq: n,
  eventTime: new Date(T0 + n * 1000).toISOString(),
  firedAt: new Date(T0 + n * 1000).toISOString(),
  priority: 'normal',
  body: '',
  state: 'pending',
  attempts: 0,
  nextActionAt: T0,
  lifecycle: [{ event: 'fired', at: new Date(T0).toISOString() }],
});

function setup(r: Rule = rule, failPauses = 0) {
  let now = T0;
  const records: AuditEntry[] = [];
  const told: string[] = [];
  const paused: unknown[] = [];
  const alerts = createAlertStore({ redis: redis.client });
  const audit = {
    append: (e: AuditEntry) => Promise.resolve(void records.push(e)),
    acknowledged: (id: string, event: string) =>
      Promise.resolve(records.some((x) => x.alertId === id && x.event === event)),
  } as unknown as AuditChain;
  const flap = createFlapControl({
    flap: createFlapStore({ redis: redis.client }),
    alerts,
    audit,
    rules: {
      setStatus(...args: unknown[]) {
        paused.push(args);
        if (failPauses-- > 0) return Promise.reject(new Error('Redis away'));
        return Promise.resolve({ ...r, status: 'paused' as const });
      },
    },
    metrics: createAlertsMetrics(),
    log: pino({ level: 'silent' }),
    forget: () => undefined,
    tell: (trader, text) => Promise.resolve(void told.push(`${trader}: ${text}`)),
    now: () => now,
  });
  /** One firing through flap control as the firing writer drives it. */
  async function fire(n: number, at = T0 + n * 1000) {
    now = at;
    let a = alertAt(n);
    const next = await flap.before(r, a, at * 1000, {});
    if (next.kind === 'done') return next.kind;
    if (next.kind === 'open') a = flap.asGroup(a, next.windowMs);
    await alerts.create(a);
    await flap.after(r, a, at * 1000);
    return next.kind;
  }
  return { flap, alerts, records, told, paused, fire, setNow: (t: number) => (now = t) };
}

describe('flap control on the firing path', () => {
  it('pauses a rule at maxFirings once, audits it and tells the owner how to resume; later firings are dropped', async () => {
    const s = setup({ ...rule, maxFirings: 2 });
    expect(await s.fire(1)).toBe('send');
    expect(s.paused).toEqual([]);
    expect(await s.fire(2)).toBe('send');
    expect(s.paused).toEqual([
      ['r1', 'paused', 1, { pausedReason: 'firing-limit', pausedAt: '2026-12-06T10:00:02.000Z' }],
    ]);
    expect(s.records.filter((r) => r.event === 'rule-limited')).toEqual([
      expect.objectContaining({ alertId: 'r1', trader: 'alice', detail: 'firings=2 limit=2' }),
    ]);
    expect(s.told).toEqual([expect.stringContaining('alice: Rule r1 (BTCUSDT) paused itself after 2 firings')]);
    expect(await s.fire(3)).toBe('done');
    expect(await s.alerts.get('a3')).toBeUndefined();
  });

  it('a pause at the limit that did not land (Redis away) is made at the next firing, which is dropped', async () => {
    const s = setup({ ...rule, maxFirings: 1 }, 1);
    await expect(s.fire(1)).rejects.toThrow('Redis away');
    expect(s.records.filter((r) => r.event === 'rule-limited')).toEqual([]);
    expect(await s.fire(2)).toBe('done');
    expect(s.paused).toHaveLength(2);
    expect(s.records.filter((r) => r.event === 'rule-limited')).toHaveLength(1);
    expect(s.told).toHaveLength(1);
    expect(await s.alerts.get('a2')).toBeUndefined();
  });

  it('gathers firings within the window into the open group; after the window ends the next opens a new one', async () => {
    const s = setup({ ...rule, groupWindowSeconds: 5 });
    expect(await s.fire(1)).toBe('open');
    expect(await s.fire(2)).toBe('done');
    expect(await s.fire(3)).toBe('done');
    const lead = (await s.alerts.get('a1'))!;
    expect(lead.state).toBe('grouping');
    expect(lead.group?.firings.map((f) => f.id)).toEqual(['a1', 'a2', 'a3']);
    expect(lead.body).toContain('3 firings: 101 at ');
    expect((await s.alerts.get('a2'))?.state).toBe('grouped');
    expect(s.records.filter((r) => r.alertId === 'a3')).toEqual([
      expect.objectContaining({ event: 'grouped', detail: 'into=a1 rule=r1 seq=3 price=103' }),
    ]);
    // The window is over (its message may not have gone yet): the next firing opens a group of its own.
    expect(await s.fire(7)).toBe('open');
    expect((await s.alerts.get('a7'))?.state).toBe('grouping');
  });

  it('a group already sent is closed: a firing meant for it opens the next group', async () => {
    const s = setup({ ...rule, groupWindowSeconds: 60 });
    expect(await s.fire(1)).toBe('open');
    await s.alerts.transition('a1', { state: 'sent' }, { event: 'sent', at: '2026-12-06T10:00:02.000Z' });
    expect(await s.fire(2)).toBe('open');
    expect((await s.alerts.get('a1'))?.group?.firings).toHaveLength(1);
  });
});
