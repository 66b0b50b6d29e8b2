import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { xml, type XmppClient } from '@tickdesk/xmpp';
import { createAlertsMetrics } from './alerts-metrics.js';
import { loadAlertsConfig } from './config.js';
import { createDelivery } from './delivery.js';
import { createPresenceTracker, type PresenceTracker } from './presence-tracker.js';
import { createAlertStore, createAuditChain, type StoredAlert } from './store/index.js';
import { usePrivateRedis, until } from './store/redis.test-util.js';

/*
 * The chaos suite's XMPP server kill: alerts sent into the dead sessions get no receipt and
 * wait on their resend backoff (30 s), though the trader is back within seconds. The engine's
 * own session comes back and finds the trader online in the initial presence burst (no
 * transition), so those alerts must be resent as soon as that resync is over.
 */
const redis = usePrivateRedis();
const log = pino({ level: 'silent' });
const T0 = Date.parse('2026-12-06T10:08:14.119Z');

const sentAlert = (id: string, owner: string, state: StoredAlert['state'] = 'sent'): StoredAlert => ({
  id,
  ruleId: 'r1',
  owner,
  recipient: owner,
  symbol: 'ESZ6',
  condition: 'crossing-up',
  price: '13013',
  tickSeq: 42,
  eventTime: '2026-12-06T10:08:14.100000Z',
  firedAt: new Date(T0).toISOString(),
  priority: 'normal',
  threshold: '13012.5',
  body: 'ESZ6 crossed up through 13012.5',
  state,
  attempts: 3,
  nextActionAt: T0 + 30_000,
  lifecycle: [{ event: 'fired', at: new Date(T0).toISOString() }],
});

function harness(shows: Record<string, string>) {
  const sent: { id: string; to: string }[] = [];
  const xmpp = {
    send: async (st: { attrs: { id: string; to: string } }) => void sent.push({ id: st.attrs.id, to: st.attrs.to }),
    on: () => undefined,
    off: () => undefined,
    streamManagement: { on: () => undefined, off: () => undefined },
  } as unknown as XmppClient;
  const presence = Object.assign(new EventEmitter(), {
    get: (trader: string) => ({ trader, show: shows[trader] ?? 'offline' }),
  }) as unknown as PresenceTracker & EventEmitter;
  const alerts = createAlertStore({ redis: redis.client });
  const d = createDelivery({
    client: xmpp,
    alerts,
    audit: createAuditChain({ redis: redis.client, now: () => T0 }),
    presence,
    config: { ...loadAlertsConfig({}), pollMs: 3_600_000 },
    domain: 'desk.localhost',
    log,
    metrics: createAlertsMetrics(),
    now: () => T0 + 5_000,
  });
  d.start();
  return { d, sent, presence, alerts };
}

describe("unconfirmed alerts after the engine's own XMPP session is back", () => {
  it('are resent at once to every trader the presence resync finds available, not after their backoff', async () => {
    const h = harness({ bob: 'online', carol: 'dnd' });
    await h.alerts.create(sentAlert('b1', 'bob'));
    await h.alerts.create(sentAlert('b2', 'bob', 'server-acked'));
    await h.alerts.create(sentAlert('c1', 'carol'));
    h.presence.emit('resynced', ['bob']);
    await until(async () => h.sent.length >= 2);
    await h.d.stop();
    expect(h.sent.map((s) => s.id).sort()).toEqual(['b1', 'b2']);
    expect(h.sent.every((s) => s.to === 'bob@desk.localhost')).toBe(true);
    const b1 = await h.alerts.get('b1');
    expect(b1?.lifecycle.at(-1)?.event).toBe('resent');
    expect(b1?.attempts).toBe(4);
    // The schedule stays: the next resend or escalation is still due when it was.
    expect(b1?.nextActionAt).toBe(T0 + 30_000);
    expect((await h.alerts.get('c1'))?.attempts).toBe(3);
  });

  it('are resent when a trader comes back from offline, too', async () => {
    const shows: Record<string, string> = { bob: 'online' };
    const h = harness(shows);
    await h.alerts.create(sentAlert('b3', 'bob'));
    h.presence.emit('change', { trader: 'bob', show: 'online' }, { trader: 'bob', show: 'offline' });
    await until(async () => h.sent.length >= 1);
    await h.d.stop();
    expect(h.sent.map((s) => s.id)).toEqual(['b3']);
  });
});

describe('the presence tracker after a reconnect', () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => void vi.useRealTimers());

  it('announces the traders found available once the resync after a reconnect is over (not after the first)', async () => {
    const xmpp = Object.assign(new EventEmitter(), {
      jid: () => 'alerts@desk.localhost/e1',
      send: async () => undefined,
    }) as unknown as XmppClient & EventEmitter;
    const multi = { hset: () => multi, publish: () => multi, exec: async () => [] };
    const fakeRedis = { hgetall: async () => ({}), hset: async () => 1, multi: () => multi } as unknown as Redis;
    const tracker = createPresenceTracker({
      client: xmpp,
      redis: fakeRedis,
      domain: 'desk.localhost',
      isTrader: (u) => ['alice', 'bob', 'carol'].includes(u),
      log,
      resyncMs: 1_500,
    });
    const resynced: string[][] = [];
    tracker.on('resynced', (traders) => void resynced.push([...traders]));
    const from = (jid: string, show?: string) =>
      xmpp.emit('stanza', xml('presence', { from: jid }, ...(show ? [xml('show', {}, show)] : [])));
    const started = tracker.start(['alice', 'bob', 'carol']);
    await vi.advanceTimersByTimeAsync(0);
    from('alice@desk.localhost/a');
    from('bob@desk.localhost/b');
    from('carol@desk.localhost/c', 'dnd');
    await started;
    expect(resynced).toEqual([]);
    xmpp.emit('online');
    from('bob@desk.localhost/b', 'away');
    from('carol@desk.localhost/c', 'dnd');
    expect(resynced).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(resynced).toEqual([['bob']]);
    tracker.stop();
  });
});
