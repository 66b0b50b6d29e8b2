import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { AuditRecord } from '@tickdesk/alerts';
import type { ApiApp } from '../app.js';
import auditStreamRoutes from './audit-stream.js';
import { AS, bearer, buildTestApp, privateRedis, seedUsers, until } from './route.test-util.js';

let redis: Awaited<ReturnType<typeof privateRedis>>;
let client: Redis;
let app: ApiApp;
let port: number;
const opened: Array<() => void> = [];

beforeAll(async () => {
  redis = await privateRedis();
  client = redis.client();
  const routes = (v1: Parameters<typeof auditStreamRoutes>[0]) =>
    auditStreamRoutes(v1, { pollMs: 20, heartbeatMs: 100 });
  app = await buildTestApp(client, [routes], { config: { auditStreamsPerUser: 2 } });
  port = (await app.listen({ port: 0, host: '127.0.0.1' }), (app.server.address() as AddressInfo).port);
});
afterAll(async () => {
  await app?.close();
  await redis?.close();
});
beforeEach(() => client.flushall().then(() => seedUsers(client)));
afterEach(async () => {
  for (const close of opened.splice(0)) close();
  await new Promise((r) => setTimeout(r, 30)); // the server sees the close before the next test counts streams
});

/** An open GET /v1/audit/stream: its status, the audit events (id and record) and heartbeats seen so far. */
function open(user: string, headers: Record<string, string> = {}, query = '') {
  return new Promise<{ status: number; events: Array<{ id: string; record: AuditRecord }>; beats: () => number }>(
    (resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: `/v1/audit/stream${query}`, headers: { ...bearer(user), ...headers } },
        (res) => {
          const events: Array<{ id: string; record: AuditRecord }> = [];
          let beats = 0;
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
            const frames = text.split('\n\n');
            text = frames.pop()!;
            for (const f of frames) {
              const fields = new Map(
                f.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
              );
              if (fields.get('event') === 'audit')
                events.push({ id: fields.get('id')!, record: JSON.parse(fields.get('data')!) as AuditRecord });
              else if (fields.get('') === 'heartbeat') beats++;
            }
          });
          res.on('error', () => undefined);
          resolve({ status: res.statusCode!, events, beats: () => beats });
        },
      );
      req.on('error', reject);
      opened.push(() => req.destroy());
      req.end();
    },
  );
}

const append = (n: number, alertId = 'a-1') =>
  Promise.all(
    Array.from({ length: n }, () =>
      app.deps.audit.append({ alertId, trader: 'alice', symbol: 'BTCUSDT', event: 'sent', stanzaHash: '' }),
    ),
  );

describe('GET /v1/audit/stream', () => {
  it('sends compliance every record appended after it connected, live and in order, with heartbeats', async () => {
    await append(2); // before: not sent (no Last-Event-ID, no ?after=)
    const s = await open(AS.compliance);
    expect(s.status).toBe(200);
    await new Promise((r) => setTimeout(r, 60));
    const records = await append(5);
    await until(() => s.events.length >= 5);
    expect(s.events.map((e) => e.record)).toEqual(records);
    expect(s.events.map((e) => e.id)).toEqual(['3', '4', '5', '6', '7']);
    await until(() => s.beats() >= 1);
  });

  it('refuses a trader and an analyst with 403; admin may read it', async () => {
    expect((await open(AS.trader)).status).toBe(403);
    expect((await open(AS.analyst)).status).toBe(403);
    expect((await open(AS.admin)).status).toBe(200);
  });

  it('a reconnection with Last-Event-ID gets exactly the records it missed', async () => {
    const first = await open(AS.compliance, {}, '?after=0');
    await append(3);
    await until(() => first.events.length === 3);
    opened.splice(0).forEach((close) => close());
    const missed = await append(4, 'a-2'); // while disconnected
    const again = await open(AS.compliance, { 'last-event-id': first.events[2]!.id });
    await until(() => again.events.length >= 4);
    const live = await append(1, 'a-3');
    await until(() => again.events.length >= 5);
    expect(again.events.map((e) => e.record)).toEqual([...missed, ...live]);
  });

  it('limits the open streams of one user (TICKDESK_API_AUDIT_STREAMS_PER_USER)', async () => {
    expect((await open(AS.compliance)).status).toBe(200);
    expect((await open(AS.compliance)).status).toBe(200);
    expect((await open(AS.compliance)).status).toBe(429);
    expect((await open(AS.admin)).status).toBe(200);
  });
});
