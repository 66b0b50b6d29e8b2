import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createWebhookStore } from '@tickdesk/alerts';
import { portOf } from '../support/engine-process.js';
import { credentials, desk } from './helpers.js';

const open: Redis[] = [];

/** A connection as one of the desk's Redis users (its ACL: infra/src/redis-auth.ts). */
function as(user: string): Redis {
  const password = (credentials() as { redis?: { users?: Record<string, string> } }).redis?.users?.[user];
  if (!password) throw new Error(`no Redis password for ${user} in the credentials file`);
  const c = new Redis({
    host: '127.0.0.1',
    port: portOf(desk().redisUrl),
    username: user,
    password,
    maxRetriesPerRequest: 0,
  });
  open.push(c);
  return c;
}

afterAll(() => {
  for (const c of open) c.disconnect();
});

describe("webhook store under the desk's Redis users", () => {
  // The engine writes deliveries and the API endpoints and replays: each under its own ACL user.
  it.each(['alerts', 'api'])('every operation is allowed to %s', async (user) => {
    const store = createWebhookStore({ redis: as(user), perOwnerMax: 2 });
    const owner = `acl-${user}-${Date.now()}`;
    const ep = (await store.create(owner, 'https://hooks.example.com/x', Date.now()))!;
    expect((await store.list(owner)).map((w) => w.id)).toEqual([ep.id]);
    expect((await store.forAlert(owner)).map((w) => w.id)).toContain(ep.id);
    const alertId = `acl${user}${Date.now()}`;
    const id = `${alertId}|${ep.id}`;
    expect(await store.enqueue(alertId, [ep.id], 0)).toBe(1);
    expect(await store.enqueue(alertId, [ep.id], 0)).toBe(0);
    expect((await store.due(1, 10_000)).map((j) => j.id)).toContain(id);
    expect(await store.claim(id, 1, 1_000)).toBe(true);
    await store.retryAt(id, 1, 2);
    await store.deadLetter({ id, alertId, endpointId: ep.id, owner, attempts: 1, lastError: 'HTTP 500', at: '' }, 3);
    expect((await store.deadLetters(owner)).map((l) => l.id)).toEqual([id]);
    expect(await store.replay(id, 4)).toBe(true);
    await store.settle(id);
    expect(await store.enqueue(alertId, [ep.id], 0)).toBe(0);
    expect(await store.remove(ep.id)).toBe(true);
  });
});
