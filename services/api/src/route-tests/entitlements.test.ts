import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { DEFAULT_INSTRUMENTS, parseTimestamp } from '@tickdesk/schemas';
import type { ApiApp } from '../app.js';
import {
  bearer,
  expectError,
  fakeEntitlements,
  login,
  seedCandles,
  seedMarket,
  seedUsers,
  testApp,
  tickAt,
} from '../app.test-util.js';
import { privateRedis } from '../redis.test-util.js';

const T0 = parseTimestamp('2025-03-01T12:00:00Z')!;
const FROM = new Date(T0 / 1000).toISOString();
const [MINE, OTHER] = ['BTCUSDT', 'EURUSD'];
const perSymbol = (s: string) => [
  `/v1/instruments/${s}`,
  `/v1/instruments/${s}/last`,
  `/v1/instruments/${s}/ticks?from=${FROM}`,
  `/v1/instruments/${s}/candles?from=${FROM}`,
];

describe('market data follows entitlements', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let redis: Redis;
  let app: ApiApp;
  const ents = fakeEntitlements({});
  const get = (url: string, headers: Record<string, string>) => app.inject({ url, headers });

  beforeAll(async () => {
    server = await privateRedis();
    redis = server.client();
    await seedUsers(redis);
    // Read per request here; the default (1 s) is covered below.
    app = await testApp(redis, { accounts: ents.accounts, config: { entitlementCacheMs: 0 } });
    await seedMarket(redis, [tickAt(MINE, 1, T0, '65000.5'), tickAt(OTHER, 1, T0, '1.0851')]);
    await seedCandles(redis, MINE, '1m', [T0]);
    await seedCandles(redis, OTHER, '1m', [T0]);
  });
  beforeEach(() => {
    ents.members.clear();
    ents.members.set(MINE, new Set(['ana']));
    ents.members.set(OTHER, new Set());
  });
  afterAll(async () => {
    await app.close();
    await server.close();
  });

  it("an analyst's lists hold only their instruments", async () => {
    const ana = bearer(await login(app, 'ana'));
    const instruments = (await get('/v1/instruments', ana)).json<{ instruments: Array<{ symbol: string }> }>();
    expect(instruments.instruments.map((i) => i.symbol)).toEqual([MINE]);
    const prices = (await get('/v1/prices', ana)).json<{ prices: Array<{ symbol: string }> }>();
    expect(prices.prices.map((p) => p.symbol)).toEqual([MINE]);
  });

  it('an analyst reads an entitled instrument and is refused any other with 403', async () => {
    const ana = bearer(await login(app, 'ana'));
    for (const url of perSymbol(MINE)) expect((await get(url, ana)).statusCode, url).toBe(200);
    for (const url of perSymbol(OTHER))
      expectError(await get(url, ana), 403, 'TICKDESK_API_NOT_ENTITLED', /not entitled to EURUSD/);
    // Unknown stays unknown.
    expectError(await get('/v1/instruments/NOPE/last', ana), 404, 'TICKDESK_API_UNKNOWN_INSTRUMENT');
  });

  it('desk roles read every instrument whatever the affiliations say', async () => {
    for (const user of ['alice', 'carol', 'admin']) {
      const headers = bearer(await login(app, user));
      const list = (await get('/v1/instruments', headers)).json<{ instruments: unknown[] }>();
      expect(list.instruments).toHaveLength(DEFAULT_INSTRUMENTS.length);
      for (const url of [...perSymbol(MINE), ...perSymbol(OTHER)])
        expect((await get(url, headers)).statusCode, `${user} ${url}`).toBe(200);
    }
  });

  it('a grant and a revocation take effect on the next request', async () => {
    const ana = bearer(await login(app, 'ana'));
    ents.members.get(OTHER)!.add('ana');
    expect((await get(`/v1/instruments/${OTHER}/last`, ana)).statusCode).toBe(200);
    ents.members.get(MINE)!.delete('ana');
    expectError(await get(`/v1/instruments/${MINE}/last`, ana), 403, 'TICKDESK_API_NOT_ENTITLED');
  });

  it('without an admin session analysts are refused (503), never shown everything; desk roles still read', async () => {
    const bare = await testApp(redis);
    try {
      const ana = bearer(await login(bare, 'ana'));
      expectError(await bare.inject({ url: '/v1/instruments', headers: ana }), 503, 'TICKDESK_API_UNAVAILABLE');
      expectError(
        await bare.inject({ url: `/v1/instruments/${MINE}/last`, headers: ana }),
        503,
        'TICKDESK_API_UNAVAILABLE',
      );
      expect(
        (await bare.inject({ url: `/v1/instruments/${MINE}/last`, headers: bearer(await login(bare, 'alice')) }))
          .statusCode,
      ).toBe(200);
    } finally {
      await bare.close();
    }
  });

  it('with the default cache, affiliations are read once a second at most, and a grant through the API clears it', async () => {
    let reads = 0;
    let t = 0;
    const counting = fakeEntitlements({ [MINE]: ['ana'] });
    const accounts = {
      ...counting.accounts,
      members: async () => ((reads += 1), counting.members),
    };
    const cached = await testApp(redis, { accounts, now: () => t });
    try {
      const ana = bearer(await login(cached, 'ana'));
      for (let i = 0; i < 5; i++) await cached.inject({ url: '/v1/prices', headers: ana });
      expect(reads).toBe(1);
      t += 1_000;
      await cached.inject({ url: '/v1/prices', headers: ana });
      expect(reads).toBe(2);
      cached.entitlements.invalidate();
      await cached.inject({ url: '/v1/prices', headers: ana });
      expect(reads).toBe(3);
    } finally {
      await cached.close();
    }
  });
});
