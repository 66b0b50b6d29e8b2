import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import { XmppError } from '@tickdesk/xmpp';
import type { ApiApp } from '../app.js';
import { ACCOUNTS, bearer, expectError, fakeEntitlements, fakeVerify, seedUsers, testApp } from '../app.test-util.js';
import { privateRedis } from '../redis.test-util.js';

const URL = '/v1/auth/token';
const body = (user: string, password = ACCOUNTS[user]?.password ?? 'x') => ({
  jid: `${user}@desk.localhost`,
  password,
});

describe('POST /v1/auth/token', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let redis: Redis;
  let app: ApiApp;
  const verify = vi.fn(fakeVerify);

  beforeAll(async () => {
    server = await privateRedis();
    redis = server.client();
    // The analyst may read an instrument, so every role's token can be used on /v1/instruments.
    app = await testApp(redis, { verifyPassword: verify, accounts: fakeEntitlements({ BTCUSDT: ['ana'] }).accounts });
  });
  afterAll(async () => {
    await app.close();
    await server.close();
  });
  beforeEach(async () => {
    await redis.flushdb();
    await seedUsers(redis);
    verify.mockClear();
  });

  it.each(['alice', 'ana', 'carol', 'admin'])('200: %s gets a token carrying the role from td:users', async (user) => {
    const before = Date.now();
    const res = await app.inject({ method: 'POST', url: URL, payload: body(user) });
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json<{ token: string; expiresAt: string; user: string; role: string }>();
    expect(out).toMatchObject({ user, role: ACCOUNTS[user]!.role });
    expect(Object.keys(out).sort()).toEqual(['expiresAt', 'role', 'token', 'user']);
    // exp is in whole seconds (RFC 7519 NumericDate): within a second of 900 s after the request.
    expect(Date.parse(out.expiresAt)).toBeGreaterThan(before + 899_000);
    expect(Date.parse(out.expiresAt)).toBeLessThanOrEqual(Date.now() + 900_000);
    expect(verify).toHaveBeenCalledWith(user, ACCOUNTS[user]!.password);
    const use = await app.inject({ url: '/v1/instruments', headers: bearer(out.token) });
    expect(use.statusCode).toBe(200);
  });

  it('401: wrong password, and an account the XMPP server does not know', async () => {
    expectError(
      await app.inject({ method: 'POST', url: URL, payload: body('alice', 'nope') }),
      401,
      'TICKDESK_API_BAD_CREDENTIALS',
    );
    expectError(
      await app.inject({ method: 'POST', url: URL, payload: body('mallory', 'pw') }),
      401,
      'TICKDESK_API_BAD_CREDENTIALS',
    );
  });

  it('403: a service account and an account without a role, but only once the password is right', async () => {
    expectError(
      await app.inject({ method: 'POST', url: URL, payload: body('feed') }),
      403,
      'TICKDESK_API_FORBIDDEN',
      /no desk role/,
    );
    expectError(await app.inject({ method: 'POST', url: URL, payload: body('ghost') }), 403, 'TICKDESK_API_FORBIDDEN');
    expectError(
      await app.inject({ method: 'POST', url: URL, payload: body('ghost', 'wrong') }),
      401,
      'TICKDESK_API_BAD_CREDENTIALS',
    );
  });

  it('503: the XMPP server cannot be reached (no details leak)', async () => {
    verify.mockRejectedValueOnce(
      new XmppError('TICKDESK_XMPP_UNREACHABLE', 'XMPP server at xmpp://127.0.0.1:1 unreachable (ECONNREFUSED)'),
    );
    const err = expectError(
      await app.inject({ method: 'POST', url: URL, payload: body('alice') }),
      503,
      'TICKDESK_API_UNAVAILABLE',
    );
    expect(err.message).not.toMatch(/127\.0\.0\.1/);
  });

  it('429: the XMPP server has locked the account or address after failed logins, even for the right password', async () => {
    verify.mockRejectedValueOnce(
      new XmppError(
        'TICKDESK_XMPP_AUTH_FAILED',
        'XMPP login as alice refused (temporary-auth-failure)',
        'temporary-auth-failure',
      ),
    );
    const err = expectError(
      await app.inject({ method: 'POST', url: URL, payload: body('alice') }),
      429,
      'TICKDESK_API_LOGIN_LOCKED',
    );
    expect(err.message).toMatch(/too many failed logins/);
  });

  it.each([
    [{ jid: 'alice@desk.localhost' }, /body field "password": required/],
    [{ password: 'x' }, /body field "jid": required/],
    [{ jid: 'alice@desk.localhost', password: 'alice-pw', role: 'admin' }, /body field "role": unknown field/],
    [{ jid: 'alice@desk.localhost', password: 12345 }, /body field "password": expected string/],
    [{ jid: ['alice@desk.localhost'], password: 'x' }, /body field "jid"/],
    [{ jid: 'alice', password: 'x' }, /body field "jid"/],
    [{ jid: 'Alice@desk.localhost', password: 'x' }, /body field "jid"/],
    [{ jid: 'alice@desk.localhost', password: '' }, /body field "password"/],
    [{ jid: 'alice@example.org', password: 'alice-pw' }, /body field "jid": the domain must be desk.localhost/],
    [[1, 2], /body: expected object/],
    ['"text"', /body: expected object/],
  ])('400 naming the field: %j', async (payload, message) => {
    const res = await app.inject({
      method: 'POST',
      url: URL,
      headers: { 'content-type': 'application/json' },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
    expectError(res, 400, 'TICKDESK_API_BAD_REQUEST', message);
    expect(verify).not.toHaveBeenCalled();
  });

  it('400: malformed JSON, an empty JSON body, a __proto__ key', async () => {
    const post = (payload: string) =>
      app.inject({ method: 'POST', url: URL, headers: { 'content-type': 'application/json' }, payload });
    expectError(await post('{"jid": "alice@desk.localhost",'), 400, 'TICKDESK_API_BAD_REQUEST');
    expectError(await post(''), 400, 'TICKDESK_API_BAD_REQUEST');
    expectError(
      await post('{"__proto__": {"x": 1}, "jid": "a@desk.localhost", "password": "p"}'),
      400,
      'TICKDESK_API_BAD_REQUEST',
    );
  });

  it('415: a body that is not JSON', async () => {
    const form = await app.inject({
      method: 'POST',
      url: URL,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'jid=alice%40desk.localhost&password=alice-pw',
    });
    expectError(form, 415, 'TICKDESK_API_UNSUPPORTED_MEDIA_TYPE');
    const text = await app.inject({
      method: 'POST',
      url: URL,
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify(body('alice')),
    });
    expectError(text, 415, 'TICKDESK_API_UNSUPPORTED_MEDIA_TYPE');
  });

  it('413: a body over the limit', async () => {
    const res = await app.inject({
      method: 'POST',
      url: URL,
      payload: { jid: 'alice@desk.localhost', password: 'x'.repeat(70_000) },
    });
    expectError(res, 413, 'TICKDESK_API_PAYLOAD_TOO_LARGE');
  });
});

describe('login rate limit', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let app: ApiApp;
  beforeAll(async () => {
    server = await privateRedis();
    const redis = server.client();
    await seedUsers(redis);
    app = await testApp(redis, { config: { loginRateMax: 3 } });
  });
  afterAll(async () => {
    await app.close();
    await server.close();
  });

  it('429 after loginRateMax attempts per address and JID; other JIDs are not affected', async () => {
    for (let i = 0; i < 3; i++)
      expect((await app.inject({ method: 'POST', url: URL, payload: body('alice', 'guess') })).statusCode).toBe(401);
    const res = await app.inject({ method: 'POST', url: URL, payload: body('alice') });
    expectError(res, 429, 'TICKDESK_API_RATE_LIMITED', /retry in/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect((await app.inject({ method: 'POST', url: URL, payload: body('ana') })).statusCode).toBe(200);
    // Another address has its own budget.
    expect(
      (await app.inject({ method: 'POST', url: URL, payload: body('alice'), remoteAddress: '10.0.0.9' })).statusCode,
    ).toBe(200);
  });
});
