import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { DeskShow, EscalationChain, LifecycleStep } from '@tickdesk/schemas';
import type { Element, XmppClient } from '@tickdesk/xmpp';
import { createAlertRouter } from '../alert-router.js';
import { SOLE, type AlertSteps } from '../alert-steps.js';
import type { AlertsConfig } from '../config.js';
import type { PresenceTracker } from '../presence-tracker.js';
import type { StoredAlert } from '../store/index.js';
import { createEscalationRunner } from './escalation-runner.js';
import type { EscalationStore } from './escalation-store.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const CHAIN: EscalationChain = [
  { to: 'recipient', afterSeconds: 0 },
  { to: 'webhook', afterSeconds: 60 },
  { to: 'backup', afterSeconds: 120 },
  { to: 'desk', afterSeconds: 300 },
];
const fired = (over: Partial<StoredAlert> = {}): StoredAlert => ({
  id: 'a1',
  ruleId: 'r1',
  owner: 'alice',
  recipient: 'alice',
  backup: 'bob',
  symbol: 'BTCUSDT',
  condition: 'greater-than',
  threshold: '1',
  price: '2',
  tickSeq: 1,
  eventTime: '2026-03-01T12:00:00.000Z',
  firedAt: '2026-03-01T12:00:00.000Z',
  priority: 'normal',
  body: 'BTCUSDT',
  state: 'pending',
  attempts: 0,
  nextActionAt: T0,
  lifecycle: [{ event: 'fired', at: '2026-03-01T12:00:00.000Z' }],
  ...over,
});

/** An in-memory desk: one alert, a fake clock, the chain store, what was sent and recorded. */
function desk(opts: { chain?: EscalationChain; shows?: Record<string, DeskShow>; endpoints?: string[] } = {}) {
  const clock = { t: T0 };
  const shows: Record<string, DeskShow> = { ...opts.shows };
  const alerts = new Map<string, StoredAlert>([['a1', fired()]]);
  const chains = new Map<string, EscalationChain>();
  const due = new Map<string, number>();
  const sent: Array<{ to: string; body: string }> = [];
  const webhooks: number[] = [];
  // Another engine holds the instrument with a newer lease: this one's steps are refused (alert-steps.ts).
  const lease = { fenced: false };
  const store = {
    defaultOf: () => Promise.resolve(undefined),
    chainOf: (id: string) => Promise.resolve(chains.get(id)),
    fix(id: string, c: EscalationChain) {
      if (!chains.has(id)) chains.set(id, c);
      return Promise.resolve(chains.get(id)!);
    },
    schedule: (id: string, at: number) => Promise.resolve(void due.set(id, at)),
    due: (now: number) => Promise.resolve([...due].filter(([, at]) => at <= now).map(([id]) => id)),
    finish: (id: string) => Promise.resolve(void due.delete(id)),
  } as unknown as EscalationStore;
  const steps = {
    record: (a: StoredAlert, event: LifecycleStep['event'], patch: Partial<StoredAlert>, detail?: string) => {
      if (lease.fenced && event !== 'acknowledged') return Promise.resolve(undefined);
      const cur = alerts.get(a.id)!;
      const step = { event, at: new Date(clock.t).toISOString(), ...(detail ? { detail } : {}) };
      const next = { ...cur, ...patch, lifecycle: [...cur.lifecycle, step] };
      alerts.set(a.id, next);
      return Promise.resolve(next);
    },
    withFresh: async (id: string, job: (a: StoredAlert) => Promise<unknown>) => {
      const a = alerts.get(id);
      if (a) await job(a);
    },
  } as unknown as AlertSteps;
  const presence = {
    get: (trader: string) => ({ trader, show: shows[trader] ?? 'online', since: '' }),
  } as unknown as PresenceTracker;
  const client = {
    send: (st: Element) => {
      sent.push({ to: String(st.attrs.to), body: st.getChildText('body') ?? '' });
      return Promise.resolve();
    },
  } as unknown as XmppClient;
  const config = {
    alertTtlMs: 86_400_000,
    receiptTimeoutMs: 10_000,
    awayReceiptTimeoutMs: 4_000,
    retryAfterEscalationMs: 30_000,
    pollMs: 200,
  } as AlertsConfig;
  const log = pino({ level: 'silent' });
  const common = { steps, presence, client, config, domain: 'desk.localhost', log, now: () => clock.t };
  const router = createAlertRouter({
    ...common,
    canEscalateTo: () => true,
    sentStanzas: new WeakMap(),
    chains: {
      begin: (a) => runner.begin(a, () => Promise.resolve(opts.chain)),
      has: (id) => Promise.resolve(chains.has(id)),
    },
  });
  const runner = createEscalationRunner({
    ...common,
    store,
    router,
    ownership: SOLE,
    webhooks: (_a, step) => {
      webhooks.push(step);
      return Promise.resolve(opts.endpoints ?? ['wh1']);
    },
    deskTargets: () => Promise.resolve(['carol', 'dave', 'comp1']),
  });
  /** Moves the clock to `s` seconds after the firing and polls. */
  const at = async (s: number) => {
    clock.t = T0 + s * 1000;
    await runner.poll();
  };
  const hops = () =>
    alerts
      .get('a1')!
      .lifecycle.filter((s) => s.event === 'escalated' || s.event === 'escalation-skipped')
      .map((s) => `${s.event} ${s.detail}`);
  const route = () => router.route(alerts.get('a1')!);
  const acknowledge = (by: string) =>
    steps.record(alerts.get('a1')!, 'acknowledged', { state: 'acknowledged' }, `by=${by}`);
  /** What release() does to a held alert before routing it again. */
  const release = () => alerts.set('a1', { ...alerts.get('a1')!, state: 'pending' });
  return { route, at, hops, sent, webhooks, due, acknowledge, lease, shows, release, alert: () => alerts.get('a1')! };
}

describe('escalation chain', () => {
  it('walks to its end while nobody acknowledges: each hop at its time, recorded with its reason', async () => {
    const d = desk({ chain: CHAIN });
    await d.route();
    expect(d.sent.map((s) => s.to)).toEqual(['alice@desk.localhost']);
    await d.at(59.9);
    expect(d.hops()).toEqual([]);
    await d.at(60);
    expect(d.webhooks).toEqual([2]);
    await d.at(119);
    expect(d.sent).toHaveLength(1);
    await d.at(120);
    expect(d.sent.map((s) => s.to)).toEqual(['alice@desk.localhost', 'bob@desk.localhost']);
    expect(d.alert().recipient).toBe('bob');
    await d.at(300);
    expect(d.hops()).toEqual([
      'escalated step=2 to=webhook reason=not-acknowledged-after=60s endpoints=wh1',
      'escalated step=3 to=backup reason=not-acknowledged-after=120s presence=online',
      'escalated step=4 to=desk reason=not-acknowledged-after=300s notified=carol,comp1,dave',
    ]);
    const desked = d.sent.slice(2);
    expect(desked.map((s) => s.to)).toEqual(['carol@desk.localhost', 'comp1@desk.localhost', 'dave@desk.localhost']);
    expect(desked[0]!.body).toMatch(/^NOBODY ACKNOWLEDGED \(alice, 300s after it fired\): BTCUSDT/);
    expect(d.due.size).toBe(0);
    await d.at(10_000);
    expect(d.hops()).toHaveLength(3);
  });

  it('stops at an acknowledgement: no later hop', async () => {
    const d = desk({ chain: CHAIN });
    await d.route();
    await d.at(60);
    await d.acknowledge('alice');
    await d.at(120);
    await d.at(300);
    expect(d.hops()).toEqual(['escalated step=2 to=webhook reason=not-acknowledged-after=60s endpoints=wh1']);
    expect(d.sent.map((s) => s.to)).toEqual(['alice@desk.localhost']);
    expect(d.due.size).toBe(0);
  });

  it('skips a step it cannot take and says why, then goes on', async () => {
    const d = desk({ chain: CHAIN, endpoints: [], shows: { bob: 'dnd' } });
    await d.route();
    await d.at(300);
    await d.at(300);
    await d.at(300);
    expect(d.hops()).toEqual([
      'escalation-skipped step=2 to=webhook reason=not-acknowledged-after=60s skipped=no-webhook-endpoints',
      'escalation-skipped step=3 to=backup reason=not-acknowledged-after=120s skipped=backup-dnd',
      'escalated step=4 to=desk reason=not-acknowledged-after=300s notified=carol,comp1,dave',
    ]);
  });

  it('an offline addressee with a chain: the backup is told at the chain’s time, not at once', async () => {
    const d = desk({ chain: CHAIN, shows: { alice: 'offline' } });
    await d.route();
    expect(d.sent.map((s) => s.to)).toEqual(['alice@desk.localhost']);
    const without = desk({ shows: { alice: 'offline' } });
    await without.route();
    expect(without.sent.map((s) => s.to)).toEqual(['alice@desk.localhost', 'bob@desk.localhost']);
    expect(without.due.size).toBe(0);
  });

  it('a held alert walks no step until it is released, then takes the steps whose time has passed', async () => {
    const d = desk({ chain: CHAIN, shows: { alice: 'dnd' } });
    await d.route();
    expect(d.alert().state).toBe('held');
    await d.at(120);
    expect(d.hops()).toEqual([]);
    d.shows.alice = 'online';
    d.release();
    await d.route();
    await d.at(121);
    await d.at(122);
    expect(d.hops().map((h) => h.split(' reason=')[0])).toEqual([
      'escalated step=2 to=webhook',
      'escalated step=3 to=backup',
    ]);
  });

  it('a step refused by the fence is neither sent nor counted: the holder of the instrument takes it, once', async () => {
    const d = desk({ chain: CHAIN });
    await d.route();
    await d.at(60);
    d.lease.fenced = true;
    await d.at(300);
    await d.at(300);
    expect(d.hops()).toHaveLength(1);
    expect(d.sent.map((s) => s.to)).toEqual(['alice@desk.localhost']);
    d.lease.fenced = false;
    await d.at(300);
    await d.at(300);
    await d.at(300);
    expect(d.hops().map((h) => h.split(' reason=')[0])).toEqual([
      'escalated step=2 to=webhook',
      'escalated step=3 to=backup',
      'escalated step=4 to=desk',
    ]);
    expect(d.sent.map((s) => s.to)).toEqual([
      'alice@desk.localhost',
      'bob@desk.localhost',
      'carol@desk.localhost',
      'comp1@desk.localhost',
      'dave@desk.localhost',
    ]);
  });
});
