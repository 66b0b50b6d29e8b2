import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { XmppClient } from '@tickdesk/xmpp';
import { createAlertsMetrics } from './alerts-metrics.js';
import { loadAlertsConfig } from './config.js';
import { createDelivery } from './delivery.js';
import type { PresenceTracker } from './presence-tracker.js';
import { createAlertStore, createAuditChain, type StoredAlert } from './store/index.js';
import { usePrivateRedis } from './store/redis.test-util.js';

/*
 * An engine stores an alert in the outbox, then appends its `fired` record to the audit
 * chain: two writes in two slots. Killed between the two (the chaos suite's engine kill, one
 * run in three), the alert stays pending without its record; the engine that sends it next
 * (the instrument's new holder, or the same engine started again) must write that record
 * before it sends, or the chain shows an alert sent and delivered that never fired.
 */
const redis = usePrivateRedis();
const log = pino({ level: 'silent' });
const T0 = Date.parse('2026-12-06T10:08:14.119Z');

const pending = (id: string): StoredAlert => ({
  id,
  ruleId: 'r1',
  owner: 'alice',
  recipient: 'alice',
  symbol: 'ESZ6',
  condition: 'crossing-up',
  price: '13013',
  tickSeq: 42,
  eventTime: '2026-12-06T10:08:14.100000Z',
  firedAt: new Date(T0).toISOString(),
  priority: 'normal',
  threshold: '13012.5',
  body: 'ESZ6 crossed up through 13012.5',
  state: 'pending',
  attempts: 0,
  nextActionAt: T0,
  lifecycle: [{ event: 'fired', at: new Date(T0).toISOString() }],
});

function delivery(storing?: (id: string) => boolean) {
  const sent: string[] = [];
  const xmpp = {
    send: async (st: { attrs: { id: string } }) => void sent.push(st.attrs.id),
    on: () => undefined,
    off: () => undefined,
    streamManagement: { on: () => undefined, off: () => undefined },
  } as unknown as XmppClient;
  const presence = {
    get: (trader: string) => ({ trader, show: 'online' }),
    on: () => undefined,
    off: () => undefined,
  } as unknown as PresenceTracker;
  const d = createDelivery({
    client: xmpp,
    alerts: createAlertStore({ redis: redis.client }),
    audit: createAuditChain({ redis: redis.client, now: () => T0 }),
    presence,
    config: loadAlertsConfig({}),
    domain: 'desk.localhost',
    log,
    metrics: createAlertsMetrics(),
    now: () => T0 + 3_000,
    ...(storing ? { storing } : {}),
  });
  return { d, sent };
}

const events = async (alertId: string) =>
  (await createAuditChain({ redis: redis.client }).range({ alertId, limit: 10 })).map((r) => r.event);

describe('a pending alert stored by an engine killed before its fired record', () => {
  it('gets its fired record before it is sent by the engine that picks it up', async () => {
    await createAlertStore({ redis: redis.client }).create(pending('a1'));
    const { d, sent } = delivery();
    expect(await d.resume()).toBe(1);
    expect(sent).toEqual(['a1']);
    expect(await events('a1')).toEqual(['fired', 'sent']);
  });

  it('keeps the record it has: none written twice', async () => {
    await createAlertStore({ redis: redis.client }).create(pending('a2'));
    await createAuditChain({ redis: redis.client }).append({
      alertId: 'a2',
      trader: 'alice',
      symbol: 'ESZ6',
      event: 'fired',
      stanzaHash: '',
      detail: 'rule=r1 seq=42 price=13013',
    });
    const { d } = delivery();
    await d.resume();
    expect(await events('a2')).toEqual(['fired', 'sent']);
  });

  it('leaves the record of an alert this engine is storing right now to the writer', async () => {
    await createAlertStore({ redis: redis.client }).create(pending('a3'));
    const { d } = delivery((id) => id === 'a3');
    await d.resume();
    expect(await events('a3')).toEqual(['sent']);
  });
});
