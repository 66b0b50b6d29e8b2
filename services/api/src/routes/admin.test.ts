import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { AccountDirectory } from '@tickdesk/accounts';
import type { ApiApp } from '../app.js';
import { testApp } from '../app.test-util.js';
import { USERS_KEY } from '../roles.js';
import adminRoutes from './admin.js';
import { fakeRemoteGrants } from './remote-grants.test-util.js';
import { AS, bearer, privateRedis, seedUsers, SYMBOL } from './route.test-util.js';

/** The directory's effects, kept in Redis (roles) and in memory (grants), as the XMPP one keeps them on the server. */
function fakeDirectory(redis: Redis): AccountDirectory & { grants: Map<string, Set<string>>; disabled: string[] } {
  const grants = new Map<string, Set<string>>();
  const disabled: string[] = [];
  return {
    grants,
    disabled,
    roleOf: async (user) => (await redis.hget(USERS_KEY, user)) ?? undefined,
    list: async () =>
      Object.entries(await redis.hgetall(USERS_KEY))
        .map(([user, role]) => ({ user, role }))
        .sort((a, b) => a.user.localeCompare(b.user)),
    async create(user, role) {
      if (await redis.hexists(USERS_KEY, user)) return { created: false, password: '' };
      await redis.hset(USERS_KEY, user, role);
      return { created: true, password: 'generated-once' };
    },
    setRole: async (user, role) => void (await redis.hset(USERS_KEY, user, role)),
    async disable(user) {
      disabled.push(user);
      await redis.hset(USERS_KEY, user, 'disabled');
    },
    entitlements: async (user) => [...(grants.get(user) ?? [])],
    async members() {
      const out = new Map<string, Set<string>>();
      for (const [user, symbols] of grants)
        for (const s of symbols) out.set(s, (out.get(s) ?? new Set<string>()).add(user));
      return out;
    },
    async grant(user, symbol, on) {
      const set = grants.get(user) ?? new Set<string>();
      if (on) set.add(symbol);
      else set.delete(symbol);
      grants.set(user, set);
    },
    remote: fakeRemoteGrants(),
  };
}

let server: Awaited<ReturnType<typeof privateRedis>>;
let redis: Redis;
let app: ApiApp;
let directory: ReturnType<typeof fakeDirectory>;
let bare: ApiApp;

beforeAll(async () => {
  server = await privateRedis();
  redis = server.client();
  directory = fakeDirectory(redis);
  app = await testApp(redis, { routes: [adminRoutes], accounts: directory });
  bare = await testApp(redis, { routes: [adminRoutes] });
});
afterAll(async () => {
  await app?.close();
  await bare?.close();
  await server?.close();
});
beforeEach(async () => {
  await redis.flushall();
  await seedUsers(redis);
  directory.grants.clear();
  directory.disabled.length = 0;
});

describe('admin: users and entitlements', () => {
  it('creates a user once, returning the password once; a second time is a conflict', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: bearer(AS.admin),
      payload: { user: 'dave', role: 'trader' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      user: 'dave',
      jid: 'dave@desk.localhost',
      role: 'trader',
      password: 'generated-once',
    });
    const again = await app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: bearer(AS.admin),
      payload: { user: 'dave', role: 'analyst' },
    });
    expect(again.statusCode).toBe(409);
    expect(
      (await app.inject({ url: '/v1/users', headers: bearer(AS.admin) })).json<{ users: unknown[] }>().users,
    ).toContainEqual({
      user: 'dave',
      role: 'trader',
    });
  });

  it('refuses a bad user name, an unknown role and unknown fields with 400', async () => {
    for (const payload of [
      { user: 'Dave!', role: 'trader' },
      { user: 'dave', role: 'service' },
      { user: 'dave', role: 'trader', admin: true },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/v1/users', headers: bearer(AS.admin), payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(Object.keys(res.json())).toEqual(['code', 'message']);
    }
  });

  it('changes a role, disables an account, and refuses to disable oneself or a missing user', async () => {
    expect(
      (
        await app.inject({
          method: 'PUT',
          url: '/v1/users/ana/role',
          headers: bearer(AS.admin),
          payload: { role: 'compliance' },
        })
      ).json(),
    ).toEqual({ user: 'ana', role: 'compliance' });
    expect(
      (await app.inject({ method: 'POST', url: '/v1/users/bob/disable', headers: bearer(AS.admin) })).statusCode,
    ).toBe(204);
    expect(directory.disabled).toEqual(['bob']);
    expect(
      (
        await app.inject({
          method: 'PUT',
          url: '/v1/users/bob/role',
          headers: bearer(AS.admin),
          payload: { role: 'trader' },
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (await app.inject({ method: 'POST', url: '/v1/users/admin/disable', headers: bearer(AS.admin) })).statusCode,
    ).toBe(409);
    expect(
      (await app.inject({ method: 'POST', url: '/v1/users/nobody/disable', headers: bearer(AS.admin) })).statusCode,
    ).toBe(404);
  });

  it("grants and revokes an analyst's instruments; other roles are not entitled per instrument", async () => {
    expect(
      (await app.inject({ method: 'PUT', url: `/v1/entitlements/ana/${SYMBOL}`, headers: bearer(AS.admin) }))
        .statusCode,
    ).toBe(204);
    expect((await app.inject({ url: '/v1/entitlements/ana', headers: bearer(AS.admin) })).json()).toEqual({
      user: 'ana',
      symbols: [SYMBOL],
    });
    expect(
      (await app.inject({ method: 'DELETE', url: `/v1/entitlements/ana/${SYMBOL}`, headers: bearer(AS.admin) }))
        .statusCode,
    ).toBe(204);
    expect(
      (await app.inject({ url: '/v1/entitlements/ana', headers: bearer(AS.admin) })).json<{ symbols: string[] }>()
        .symbols,
    ).toEqual([]);
    expect(
      (await app.inject({ method: 'PUT', url: `/v1/entitlements/alice/${SYMBOL}`, headers: bearer(AS.admin) }))
        .statusCode,
    ).toBe(409);
    expect(
      (await app.inject({ method: 'PUT', url: '/v1/entitlements/ana/DOGEUSDT', headers: bearer(AS.admin) })).statusCode,
    ).toBe(400);
    expect((await app.inject({ url: '/v1/entitlements/nobody', headers: bearer(AS.admin) })).statusCode).toBe(404);
  });

  it.each(['trader', 'analyst', 'compliance'] as const)('refuses %s with 403 on every admin route', async (role) => {
    const calls = [
      { method: 'GET', url: '/v1/users' },
      { method: 'POST', url: '/v1/users', payload: { user: 'x', role: 'trader' } },
      { method: 'PUT', url: '/v1/users/ana/role', payload: { role: 'trader' } },
      { method: 'POST', url: '/v1/users/ana/disable' },
      { method: 'GET', url: '/v1/entitlements/ana' },
      { method: 'PUT', url: `/v1/entitlements/ana/${SYMBOL}` },
      { method: 'DELETE', url: `/v1/entitlements/ana/${SYMBOL}` },
    ] as const;
    for (const c of calls) {
      const res = await app.inject({ ...c, headers: bearer(AS[role]) });
      expect(res.statusCode, `${c.method} ${c.url}`).toBe(403);
      expect((await app.inject({ ...c })).statusCode, `${c.method} ${c.url} without a token`).toBe(401);
    }
  });

  it('answers 503 when the API has no admin session to the XMPP server', async () => {
    const res = await bare.inject({ url: '/v1/users', headers: bearer(AS.admin) });
    expect(res.statusCode).toBe(503);
    expect(res.json<{ code: string }>().code).toBe('TICKDESK_API_UNAVAILABLE');
  });
});
