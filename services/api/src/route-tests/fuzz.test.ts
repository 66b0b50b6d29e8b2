import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { ApiApp } from '../app.js';
import { bearer, login, seedMarket, seedUsers, testApp, tickAt } from '../app.test-util.js';
import { privateRedis } from '../redis.test-util.js';
import { checkAnswer, enc, makeGen } from '../fuzz.test-util.js';

describe('fuzzed input gets 4xx, never a crash or a leak', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let app: ApiApp;
  let auth: Record<string, string>;
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    server = await privateRedis();
    const redis = server.client();
    await seedUsers(redis);
    await seedMarket(
      redis,
      Array.from({ length: 50 }, (_, i) => tickAt('BTCUSDT', i + 1, 1_740_830_400_000_000 + i * 1000)),
    );
    app = await testApp(redis, { config: { bodyLimit: 4_096 } });
    auth = bearer(await login(app, 'alice'));
  });
  afterAll(async () => {
    await app.close();
    await server.close();
  });

  const check = (res: LightMyRequestResponse, what: string, allowOk: boolean) =>
    checkAnswer(statuses, res, what, allowOk);

  it('2,000 login bodies', async () => {
    const g = makeGen(1);
    for (let i = 0; i < 2_000; i++) {
      const payload = g.loginBody();
      const type =
        g.r.next() < 0.9
          ? 'application/json'
          : g.r.pick([
              'text/plain',
              'application/xml',
              'application/json; charset=latin1',
              '',
              'application/x-www-form-urlencoded',
              'multipart/form-data',
            ]);
      const res = await app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        headers: type ? { 'content-type': type } : {},
        payload,
      });
      check(res, `#${i} POST ${type} ${payload.slice(0, 200)}`, false);
    }
  });

  it('2,000 query strings and paths on the market data routes', async () => {
    const g = makeGen(2);
    for (let i = 0; i < 2_000; i++) {
      const route = g.r.pick(['ticks', 'candles', 'last', '']);
      const url = `/v1/instruments/${g.symbol()}${route ? `/${route}` : ''}?${g.query()}`;
      const res = await app.inject({ url, headers: auth });
      check(res, `#${i} GET ${url.slice(0, 300)}`, true);
    }
  });

  it('1,000 authorization headers and unknown paths', async () => {
    const g = makeGen(3);
    for (let i = 0; i < 1_000; i++) {
      const token =
        g.r.next() < 0.5
          ? g.str()
          : `Bearer ${g.r.next() < 0.5 ? g.str() : auth.authorization!.slice(7, 7 + g.r.int(200))}${g.r.next() < 0.3 ? g.str() : ''}`;
      const url = g.r.next() < 0.7 ? '/v1/prices' : `/v1/${enc(g.str()).slice(0, 100)}/${g.r.int(9)}`;
      let res: LightMyRequestResponse;
      try {
        res = await app.inject({ url, headers: { authorization: token } });
      } catch {
        continue; // a header no HTTP client could send (control characters): refused before the server sees it
      }
      check(res, `#${i} GET ${url} with ${JSON.stringify(token).slice(0, 100)}`, false);
    }
  });

  it('reached every kind of answer (the generators are not degenerate)', () => {
    expect([...statuses.keys()].sort()).toEqual([200, 400, 401, 404, 413, 415]);
  });
});
