import { EventEmitter } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import pino from 'pino';
import type { Rule } from '@tickdesk/schemas';
import type { Element, XmppClient } from '@tickdesk/xmpp';
import { createAlertsMetrics } from './alerts-metrics.js';
import { loadAlertsConfig } from './config.js';
import { createDelivery } from './delivery.js';
import { alertId, createFiringWriter } from './firing-writer.js';
import { writerDeps } from './firing-writer.test-util.js';
import type { PresenceTracker } from './presence-tracker.js';
import { createAlertStore, createAuditChain, type AuditChain } from './store/index.js';
import { until, usePrivateRedis } from './store/redis.test-util.js';

/*
 * Two engines share ESZ6 by leases. The old holder stores an alert in the outbox; its
 * `fired` append then waits in the ioredis offline queue through a Redis fail-over (here:
 * its connection cut). The lease moves meanwhile: the new holder finds the alert pending
 * without its record, writes the record and sends the alert. Then the old holder's queued
 * append reaches Redis.
 */
const redis = usePrivateRedis();
const T0 = Date.parse('2026-12-06T10:08:14.119Z');
const log = pino({ level: 'silent' });

/** A TCP relay to Redis that can drop its connections and refuse new ones for a while: the old holder's fail-over. */
async function relay(target: number) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((down) => {
        const up = connect(target, '127.0.0.1');
        for (const s of [down, up]) {
          sockets.add(s);
          s.on('error', () => undefined).on('close', () => (down.destroy(), up.destroy(), sockets.delete(s)));
        }
        down.pipe(up).pipe(down);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  await open();
  return {
    port,
    open,
    cut: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server!.close(() => resolve());
      }),
    close: () => new Promise<void>((resolve) => (server!.listening ? server!.close(() => resolve()) : resolve())),
  };
}

const rule: Rule = {
  id: 'r1',
  owner: 'alice',
  symbol: 'ESZ6',
  condition: 'crossing-up',
  threshold: '13012.5',
  frequency: 'every-time',
  priority: 'normal',
  status: 'active',
  createdAt: '2026-12-06T07:00:00Z',
  updatedAt: '2026-12-06T07:00:00Z',
  version: 1,
};
const firing = {
  ruleId: 'r1',
  symbol: 'ESZ6',
  seq: 42,
  price: '13013',
  previousPrice: '13012',
  eventMicros: T0 * 1000 - 19_000,
};

function oldHolder(redisOfOld: Redis, audit: AuditChain) {
  return createFiringWriter({
    redis: redisOfOld,
    alerts: createAlertStore({ redis: redisOfOld }),
    audit,
    ...writerDeps(rule, new Date(T0).toISOString()),
  });
}

/** The instrument's new holder (lease token 2): resumes the outbox, writing a missing fired record before it sends. */
function newHolder() {
  const sent: string[] = [];
  // Its XMPP session and presence: emitters, with alice online and the sent ids kept.
  const xmpp = Object.assign(new EventEmitter(), {
    send: async (stanza: Element) => void sent.push(String(stanza.attrs.id)),
    streamManagement: new EventEmitter(),
  });
  const presence = Object.assign(new EventEmitter(), { get: (trader: string) => ({ trader, show: 'online' }) });
  const delivery = createDelivery({
    client: xmpp as unknown as XmppClient,
    alerts: createAlertStore({ redis: redis.client }),
    audit: createAuditChain({ redis: redis.client, now: () => T0 + 2_000 }),
    presence: presence as unknown as PresenceTracker,
    config: loadAlertsConfig({}),
    domain: 'desk.localhost',
    log,
    metrics: createAlertsMetrics(),
    ownership: { owns: () => true, token: () => 2 },
    now: () => T0 + 2_000,
  });
  return { delivery, sent };
}

describe("an alert's fired record, when the instrument's lease moves during a Redis fail-over", () => {
  it("is in the chain once after the old holder's queued append lands, and the old holder's write completes", async () => {
    const link = await relay(redis.port);
    const viaLink = redis.connect({ port: link.port });
    const chain = createAuditChain({ redis: viaLink, now: () => T0 + 1 });
    let queued = false;
    // The alert is stored; Redis fails over before the fired append goes out.
    const audit: AuditChain = {
      ...chain,
      append: async (entry) => {
        await link.cut();
        await until(() => viaLink.status !== 'ready');
        const appended = chain.append(entry);
        queued = true;
        return appended;
      },
    };
    const persisted = oldHolder(viaLink, audit).persist(firing, 1);
    await until(() => queued);

    const id = alertId(rule, 'ESZ6', 42);
    await createAlertStore({ redis: redis.client }).raiseFence('ESZ6', 2);
    const { delivery, sent } = newHolder();
    expect(await delivery.resume()).toBe(1);
    expect(sent).toEqual([id]);

    await link.open();
    const alert = await persisted;
    expect(alert?.id).toBe(id);
    const chainNow = createAuditChain({ redis: redis.client });
    expect((await chainNow.range({ alertId: id, limit: 10 })).map((r) => r.event)).toEqual(['fired', 'sent']);
    expect(await chainNow.verify()).toMatchObject({ ok: true, records: 2 });
    viaLink.disconnect();
    await link.close();
  });
});
