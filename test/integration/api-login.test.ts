import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { buildApp, resolveApiConfig, type ApiApp } from '@tickdesk/api';
import { credentials, desk } from './helpers.js';
import { deskApiDeps, deskPasswordVerifier } from './api-deps.js';

/** Login to the REST API with XMPP credentials, checked by the real Prosody over STARTTLS + SCRAM. */
describe('REST API login against the desk', () => {
  let redis: Redis;
  let app: ApiApp;
  const verify = deskPasswordVerifier;

  beforeAll(async () => {
    redis = new Redis(desk().redisUrl);
    app = await buildApp({
      deps: deskApiDeps(redis),
      config: resolveApiConfig({ loginRateMax: 1_000 }),
      verifyPassword: verify(),
    });
  });
  afterAll(async () => {
    await app.close();
    redis.disconnect();
  });

  it('the verifier: right password true, wrong password false', async () => {
    const alice = credentials().accounts.alice!;
    expect(await verify()('alice', alice.password)).toBe(true);
    expect(await verify()('alice', `${alice.password}x`)).toBe(false);
    expect(await verify()('nobody-here', 'pw')).toBe(false);
  });

  it('POST /v1/auth/token: a trader gets a token with its role; a wrong password is 401; a service account is 403', async () => {
    const { accounts } = credentials();
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { jid: `alice@${desk().domain}`, password: accounts.alice!.password },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ user: 'alice', role: 'trader' });
    const token = ok.json<{ token: string }>().token;
    expect(
      (await app.inject({ url: '/v1/instruments', headers: { authorization: `Bearer ${token}` } })).statusCode,
    ).toBe(200);

    const wrong = await app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { jid: `alice@${desk().domain}`, password: 'wrong' },
    });
    expect(wrong.statusCode).toBe(401);
    const service = await app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { jid: `recorder@${desk().domain}`, password: accounts.recorder!.password },
    });
    expect(service.statusCode).toBe(403);
  });
});
