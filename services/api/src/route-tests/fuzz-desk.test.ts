import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '../app.js';
import { bearer, login, seedUsers, testApp } from '../app.test-util.js';
import { checkAnswer, enc, makeGen } from '../fuzz.test-util.js';
import { privateRedis } from '../redis.test-util.js';
import { DESK_ROUTES } from '../routes/desk-routes.js';

const CONDITIONS = [
  'crossing',
  'crossing-up',
  'greater-than',
  'inside-channel',
  'moving-up',
  'moving-down-percent',
  'sideways',
  '',
];

describe('fuzzed rule writes and queries on the desk routes get 4xx, never a crash or a leak', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let app: ApiApp;
  let trader: Record<string, string>;
  let compliance: Record<string, string>;
  const statuses = new Map<number, number>();
  const check = (res: Parameters<typeof checkAnswer>[1], what: string, allowOk: boolean) =>
    checkAnswer(statuses, res, what, allowOk);

  beforeAll(async () => {
    server = await privateRedis();
    const redis = server.client();
    await seedUsers(redis);
    app = await testApp(redis, { routes: DESK_ROUTES, config: { bodyLimit: 4_096 } });
    trader = bearer(await login(app, 'alice'));
    compliance = bearer(await login(app, 'carol'));
  });
  afterAll(async () => {
    await app.close();
    await server.close();
  });

  it('1,500 rule bodies (create and replace)', async () => {
    const g = makeGen(11);
    for (let i = 0; i < 1_500; i++) {
      const body: Record<string, unknown> =
        g.r.next() < 0.3
          ? (g.value(0) as Record<string, unknown>)
          : {
              symbol: g.r.next() < 0.7 ? g.r.pick(['BTCUSDT', 'EURUSD', 'NOPE']) : g.value(1),
              condition: g.r.next() < 0.8 ? g.r.pick(CONDITIONS) : g.value(1),
              threshold: g.r.next() < 0.6 ? g.r.pick(['65000', '-1', '1e5', '0.3', '', '65000.', '00.1']) : g.value(1),
              frequency: g.r.pick(['once', 'every-time', 'once-per-bar', 'never', 1]),
              priority: g.r.pick(['normal', 'critical', 'urgent']),
            };
      if (g.r.next() < 0.3 && body && typeof body === 'object')
        body[
          g.r.pick([
            'lower',
            'upper',
            'amount',
            'windowSeconds',
            'cooldownSeconds',
            'backup',
            'expiresAt',
            'owner',
            'x',
          ])
        ] = g.value(1);
      const put = g.r.next() < 0.3;
      const url = put ? `/v1/rules/${enc(g.str()).slice(0, 60) || 'r1'}` : '/v1/rules';
      const res = await app.inject({
        method: put ? 'PUT' : 'POST',
        url,
        headers: { ...trader, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      check(res, `#${i} ${put ? 'PUT' : 'POST'} ${url} ${JSON.stringify(body).slice(0, 200)}`, true);
    }
  });

  it('1,500 query strings on rules, alerts and the audit', async () => {
    const g = makeGen(12);
    for (let i = 0; i < 1_500; i++) {
      const path = g.r.pick([
        '/v1/rules',
        '/v1/alerts',
        '/v1/audit',
        '/v1/audit/verify',
        '/v1/presence',
        `/v1/alerts/${enc(g.str()).slice(0, 60) || 'a1'}`,
      ]);
      const url = `${path}?${g.query()}`;
      const res = await app.inject({ url, headers: path.startsWith('/v1/audit') ? compliance : trader });
      check(res, `#${i} GET ${url.slice(0, 300)}`, true);
    }
  });

  it('reached created, refused and invalid answers (the generators are not degenerate)', () => {
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 201, 400, 404, 422]));
  });
});
