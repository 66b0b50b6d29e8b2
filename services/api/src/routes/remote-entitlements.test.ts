import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { AccountDirectory } from '@tickdesk/accounts';
import type { ApiApp } from '../app.js';
import { testApp } from '../app.test-util.js';
import adminRoutes from './admin.js';
import remoteEntitlementRoutes from './remote-entitlements.js';
import { fakeRemoteGrants } from './remote-grants.test-util.js';
import { AS, bearer, privateRedis, seedUsers, SYMBOL } from './route.test-util.js';

const ANA_B = 'ana@deskb.localhost';

let server: Awaited<ReturnType<typeof privateRedis>>;
let redis: Redis;
let app: ApiApp;
let bare: ApiApp;
const remote = fakeRemoteGrants(3);
const roleChanges: string[] = [];

beforeAll(async () => {
  server = await privateRedis();
  redis = server.client();
  // Only what these routes use of the directory: the role route must refuse a JID before it reads a role.
  const accounts = {
    remote,
    roleOf: () => Promise.resolve('analyst'),
    setRole: (user: string) => Promise.resolve(void roleChanges.push(user)),
  } as unknown as AccountDirectory;
  app = await testApp(redis, { routes: [adminRoutes, remoteEntitlementRoutes], accounts });
  bare = await testApp(redis, { routes: [remoteEntitlementRoutes] });
});
afterAll(async () => {
  await app?.close();
  await bare?.close();
  await server?.close();
});
beforeEach(async () => {
  await redis.flushall();
  await seedUsers(redis);
  remote.held.clear();
  roleChanges.length = 0;
});

const as = (user: string) => ({ headers: bearer(user) });
const code = (res: { json: <T>() => T }) => res.json<{ code: string }>().code;

describe('admin: entitlements of peer-desk accounts', () => {
  it('grants, lists per account and in all, and revokes; a JID may come percent-encoded', async () => {
    const put = await app.inject({ method: 'PUT', url: `/v1/remote-entitlements/${ANA_B}/${SYMBOL}`, ...as(AS.admin) });
    expect(put.statusCode).toBe(204);
    const again = await app.inject({
      method: 'PUT',
      url: `/v1/remote-entitlements/Ana%40DeskB.localhost/${SYMBOL}`,
      ...as(AS.admin),
    });
    expect(again.statusCode).toBe(204);
    expect((await app.inject({ url: `/v1/remote-entitlements/${ANA_B}`, ...as(AS.admin) })).json()).toEqual({
      jid: ANA_B,
      symbols: [SYMBOL],
    });
    expect((await app.inject({ url: '/v1/remote-entitlements', ...as(AS.admin) })).json()).toEqual({
      grants: [{ jid: ANA_B, symbols: [SYMBOL] }],
      held: 1,
      max: 3,
    });
    const del = await app.inject({
      method: 'DELETE',
      url: `/v1/remote-entitlements/${ANA_B}/${SYMBOL}`,
      ...as(AS.admin),
    });
    expect(del.statusCode).toBe(204);
    expect((await app.inject({ url: `/v1/remote-entitlements/${ANA_B}`, ...as(AS.admin) })).json()).toEqual({
      jid: ANA_B,
      symbols: [],
    });
  });

  it.each([
    ['ana@desk.localhost', 403, 'TICKDESK_API_NOT_A_PEER'],
    ['ana@evil.example', 403, 'TICKDESK_API_NOT_A_PEER'],
    ['deskb.localhost', 400, 'TICKDESK_API_BAD_REQUEST'],
    ['ana@deskb.localhost%2Fphone', 400, 'TICKDESK_API_BAD_REQUEST'],
    [`${'a'.repeat(65)}@deskb.localhost`, 400, 'TICKDESK_API_BAD_REQUEST'],
    [`ana@${'d'.repeat(400)}`, 400, 'TICKDESK_API_BAD_REQUEST'],
  ])('refuses %s with %i %s, granting nothing', async (jid, status, expected) => {
    for (const method of ['PUT', 'DELETE'] as const) {
      const res = await app.inject({ method, url: `/v1/remote-entitlements/${jid}/${SYMBOL}`, ...as(AS.admin) });
      expect(res.statusCode, method).toBe(status);
      expect(code(res), method).toBe(expected);
    }
    expect(remote.held.size).toBe(0);
  });

  it('refuses an unknown instrument with 400 and a grant beyond the limit with 409', async () => {
    const unknown = await app.inject({
      method: 'PUT',
      url: `/v1/remote-entitlements/${ANA_B}/DOGEUSDT`,
      ...as(AS.admin),
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json<{ message: string }>().message).toMatch(/symbol.*unknown instrument DOGEUSDT/);
    for (const who of ['a', 'b', 'c'])
      expect(
        (
          await app.inject({
            method: 'PUT',
            url: `/v1/remote-entitlements/${who}@deskb.localhost/${SYMBOL}`,
            ...as(AS.admin),
          })
        ).statusCode,
      ).toBe(204);
    const over = await app.inject({
      method: 'PUT',
      url: `/v1/remote-entitlements/${ANA_B}/${SYMBOL}`,
      ...as(AS.admin),
    });
    expect(over.statusCode).toBe(409);
    expect(code(over)).toBe('TICKDESK_API_REMOTE_GRANT_LIMIT');
  });

  it('never gives a remote account a desk role', async () => {
    for (const user of [ANA_B, 'ana@evil.example']) {
      const res = await app.inject({
        method: 'PUT',
        url: `/v1/users/${user}/role`,
        payload: { role: 'trader' },
        ...as(AS.admin),
      });
      expect(res.statusCode).toBe(409);
      expect(code(res)).toBe('TICKDESK_API_REMOTE_ACCOUNT');
    }
    expect(roleChanges).toEqual([]);
  });

  it.each(['trader', 'analyst', 'compliance'] as const)('refuses %s with 403, and no token with 401', async (role) => {
    const calls = [
      { method: 'GET', url: '/v1/remote-entitlements' },
      { method: 'GET', url: `/v1/remote-entitlements/${ANA_B}` },
      { method: 'PUT', url: `/v1/remote-entitlements/${ANA_B}/${SYMBOL}` },
      { method: 'DELETE', url: `/v1/remote-entitlements/${ANA_B}/${SYMBOL}` },
    ] as const;
    for (const c of calls) {
      expect((await app.inject({ ...c, ...as(AS[role]) })).statusCode, `${c.method} ${c.url}`).toBe(403);
      expect((await app.inject({ ...c })).statusCode, `${c.method} ${c.url} without a token`).toBe(401);
    }
    expect(remote.held.size).toBe(0);
  });

  it('answers 503 when the API has no admin session to the XMPP server', async () => {
    const res = await bare.inject({ url: '/v1/remote-entitlements', ...as(AS.admin) });
    expect(res.statusCode).toBe(503);
    expect(code(res)).toBe('TICKDESK_API_UNAVAILABLE');
  });
});
