import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { Silence } from '@tickdesk/schemas/rest';
import type { XmppClient } from '@tickdesk/xmpp';
import { createAlertRouter } from '../alert-router.js';
import type { AlertSteps } from '../alert-steps.js';
import type { AlertsConfig } from '../config.js';
import type { PresenceTracker } from '../presence-tracker.js';
import type { StoredAlert } from '../store/index.js';
import { createSilenceHold, silenceOfHold } from './silence-hold.js';
import type { SilenceStore } from './silence-store.js';

const NOW = Date.parse('2026-12-06T12:00:00.000Z');
const at = (ms: number) => new Date(ms).toISOString();
const alert = (over: Partial<StoredAlert> = {}): StoredAlert => ({
  id: 'a1',
  ruleId: 'r1',
  owner: 'alice',
  recipient: 'alice',
  symbol: 'BTCUSDT',
  condition: 'greater-than',
  threshold: '1',
  price: '2',
  tickSeq: 1,
  eventTime: at(NOW),
  body: 'BTCUSDT',
  firedAt: at(NOW),
  priority: 'normal',
  state: 'pending',
  attempts: 0,
  nextActionAt: NOW,
  lifecycle: [],
  ...over,
});
const silence = (over: Partial<Silence> = {}): Silence => ({
  id: 'sl0000000000000001',
  owner: 'alice',
  symbol: 'BTCUSDT',
  from: at(NOW - 1000),
  until: at(NOW + 60_000),
  reason: 'lunch break',
  onEnd: 'release',
  createdAt: at(NOW - 1000),
  ...over,
});

function setup(list: Silence[], stored: StoredAlert[] = []) {
  let now = NOW;
  const byId = new Map(stored.map((a) => [a.id, a]));
  const recorded: [string, string, string | undefined][] = [];
  const routed: string[] = [];
  const steps = {
    record: async (a: StoredAlert, event: string, patch: Partial<StoredAlert>, detail?: string) => {
      recorded.push([a.id, event, detail]);
      const next = { ...a, ...patch, lifecycle: [...a.lifecycle, { event, at: at(now), detail }] } as StoredAlert;
      byId.set(a.id, next);
      return next;
    },
    withFresh: async (id: string, job: (a: StoredAlert) => Promise<unknown>) => {
      const a = byId.get(id);
      if (a) await job(a);
    },
  } as unknown as AlertSteps;
  const silences = {
    activeFor: async (owner: string, t: number) =>
      list.filter((s) => s.owner === owner && Date.parse(s.from) <= t && t < Date.parse(s.endedAt ?? s.until)),
    get: async (id: string) => list.find((s) => s.id === id),
    endedBetween: async (after: number, upTo: number) =>
      list
        .map((s) => ({ owner: s.owner, id: s.id, end: Date.parse(s.endedAt ?? s.until) }))
        .filter((e) => e.end > after && e.end <= upTo),
  } as unknown as SilenceStore;
  const retirement = vi.fn(() => Promise.resolve(undefined));
  const hold = createSilenceHold({
    silences,
    alerts: { heldFor: async (t: string) => [...byId.values()].filter((a) => a.recipient === t && a.state === 'held') },
    steps,
    ownership: { owns: () => true, token: () => undefined },
    log: pino({ level: 'silent' }),
    now: () => now,
    pollMs: 20,
    retirement,
    retire: vi.fn(),
  });
  return {
    hold,
    recorded,
    routed,
    byId,
    setNow: (t: number) => (now = t),
    route: async (a: StoredAlert) => void routed.push(a.id),
  };
}

describe('silence hold', () => {
  it('holds an alert of a covered instrument until the silence ends, saying which silence and why', async () => {
    const t = setup([silence()]);
    expect(await t.hold.hold(alert())).toBe(true);
    expect(t.recorded).toEqual([['a1', 'held', 'silence=sl0000000000000001 reason=lunch break']]);
    const held = t.byId.get('a1');
    expect(held?.state).toBe('held');
    expect(held?.nextActionAt).toBe(NOW + 60_000);
    expect(held && silenceOfHold(held)).toBe('sl0000000000000001');
  });

  it('lets through what no silence of the addressee covers now', async () => {
    const t = setup([
      silence({ symbol: 'ETHUSDT' }),
      silence({ id: 'sl0000000000000002', owner: 'bob' }),
      silence({ id: 'sl0000000000000003', from: at(NOW + 1000) }),
      silence({ id: 'sl0000000000000004', until: at(NOW) }),
      silence({ id: 'sl0000000000000005', symbol: undefined, ruleId: 'r9' }),
    ]);
    expect(await t.hold.hold(alert())).toBe(false);
    // The rule's recipient is bob: bob's silence holds it, not alice's.
    expect(await t.hold.hold(alert({ addressee: 'bob' }))).toBe(true);
    expect(t.recorded.map((r) => r[2])).toEqual(['silence=sl0000000000000002 reason=lunch break']);
  });

  it('holds by rule id', async () => {
    const t = setup([silence({ symbol: undefined, ruleId: 'r1' })]);
    expect(await t.hold.hold(alert({ symbol: 'ETHUSDT' }))).toBe(true);
  });

  it('releases a held alert at the end and routes it again, same id', async () => {
    const t = setup([silence()]);
    await t.hold.hold(alert());
    t.hold.start(t.route);
    t.setNow(NOW + 60_000);
    const held = t.byId.get('a1');
    if (held) await t.hold.due(held);
    t.hold.stop();
    expect(t.recorded.map((r) => r[1])).toEqual(['held', 'released']);
    expect(t.recorded[1]?.[2]).toBe('silence-ended silence=sl0000000000000001');
    expect(t.byId.get('a1')?.state).toBe('pending');
    expect(t.routed).toEqual(['a1']);
  });

  it('retires a held alert at the end when the silence says so', async () => {
    const t = setup([silence({ onEnd: 'retire' })]);
    await t.hold.hold(alert());
    t.hold.start(t.route);
    t.setNow(NOW + 60_001);
    const held = t.byId.get('a1');
    if (held) await t.hold.due(held);
    t.hold.stop();
    expect(t.recorded.map((r) => [r[1], r[2]])).toEqual([
      ['held', 'silence=sl0000000000000001 reason=lunch break'],
      ['retired', 'silence-ended silence=sl0000000000000001'],
    ]);
    expect(t.routed).toEqual([]);
  });

  it('holds on by another silence that still covers it', async () => {
    const t = setup([silence(), silence({ id: 'sl0000000000000002', until: at(NOW + 120_000), reason: 'meeting' })]);
    const first = alert({
      state: 'held',
      lifecycle: [{ event: 'held', at: at(NOW), detail: 'silence=sl0000000000000001 reason=x' }],
    });
    t.byId.set('a1', first);
    t.setNow(NOW + 60_000);
    await t.hold.due(first);
    expect(t.recorded).toEqual([['a1', 'held', 'silence=sl0000000000000002 reason=meeting']]);
    expect(t.byId.get('a1')?.nextActionAt).toBe(NOW + 120_000);
  });

  it('does nothing to an alert held for dnd', async () => {
    const t = setup([silence()]);
    const dnd = alert({ state: 'held', lifecycle: [{ event: 'held', at: at(NOW), detail: 'dnd' }] });
    await t.hold.due(dnd);
    expect(t.recorded).toEqual([]);
    expect(silenceOfHold(dnd)).toBeUndefined();
  });

  it('releases at once the alerts of a silence ended early', async () => {
    const s = silence();
    const t = setup([s]);
    await t.hold.hold(alert());
    t.hold.start(t.route);
    s.endedAt = at(NOW + 5);
    t.setNow(NOW + 10);
    await vi.waitFor(() => expect(t.routed).toEqual(['a1']), { timeout: 2000, interval: 10 });
    t.hold.stop();
    expect(t.recorded.map((r) => r[1])).toEqual(['held', 'released']);
  });
});

describe('a silence hold and presence', () => {
  const router = (recorded: string[], held: boolean) =>
    createAlertRouter({
      client: { send: async () => undefined } as unknown as XmppClient,
      steps: {
        record: async (a: StoredAlert, event: string, patch: Partial<StoredAlert>) => {
          recorded.push(event);
          return { ...a, ...patch };
        },
      } as unknown as AlertSteps,
      presence: {
        get: (trader: string) => ({ trader, show: 'online', since: at(NOW) }),
      } as unknown as PresenceTracker,
      config: { alertTtlMs: 86_400_000, receiptTimeoutMs: 10_000 } as AlertsConfig,
      domain: 'desk.localhost',
      log: pino({ level: 'silent' }),
      canEscalateTo: () => true,
      sentStanzas: new WeakMap(),
      now: () => NOW,
      silenced: async () => held,
    });

  it('an alert held by a silence is not released when its trader leaves dnd', async () => {
    const recorded: string[] = [];
    const bySilence = alert({
      state: 'held',
      lifecycle: [{ event: 'held', at: at(NOW), detail: 'silence=sl0000000000000001 reason=lunch' }],
    });
    await router(recorded, true).release(bySilence);
    expect(recorded).toEqual([]);
  });

  it('an alert held for dnd is released, then held by a silence that covers it now instead of sent', async () => {
    const recorded: string[] = [];
    const forDnd = alert({ state: 'held', lifecycle: [{ event: 'held', at: at(NOW), detail: 'dnd' }] });
    await router(recorded, true).release(forDnd);
    expect(recorded).toEqual(['released']);
    const sent: string[] = [];
    await router(sent, false).release(forDnd);
    expect(sent).toEqual(['released', 'sent']);
  });
});

describe('a silence ended early while no engine ran', () => {
  it('has its held alerts released at the next start, not at its until', async () => {
    const s = silence({ until: at(NOW + 3_600_000), endedAt: at(NOW - 60_000) });
    const held = alert({
      state: 'held',
      nextActionAt: NOW + 3_600_000,
      lifecycle: [{ event: 'held', at: at(NOW - 120_000), detail: `silence=${s.id} reason=lunch break` }],
    });
    const t = setup([s], [held]);
    t.hold.start(t.route);
    await vi.waitFor(() => expect(t.routed).toEqual(['a1']), { timeout: 2000, interval: 10 });
    t.hold.stop();
    expect(t.recorded).toEqual([['a1', 'released', `silence-ended silence=${s.id}`]]);
  });
});
