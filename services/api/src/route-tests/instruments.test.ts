import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { Value } from '@sinclair/typebox/value';
import { DEFAULT_INSTRUMENTS, parseTimestamp } from '@tickdesk/schemas';
import { candlesKey, finalKey } from '@tickdesk/recorder';
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
import { CandlePage } from '../market-schemas.js';
import { privateRedis } from '../redis.test-util.js';

const T0 = parseTimestamp('2025-03-01T12:00:00Z')!;
const iso = (micros: number) => new Date(micros / 1000).toISOString();

describe('market data routes', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let redis: Redis;
  let app: ApiApp;
  let auth: { authorization: string };
  const get = (url: string, headers: Record<string, string> = auth) => app.inject({ url, headers });

  beforeAll(async () => {
    server = await privateRedis();
    redis = server.client();
    await seedUsers(redis);
    // The analyst is entitled to every instrument here (route-tests/entitlements.test.ts narrows it).
    const { accounts } = fakeEntitlements(Object.fromEntries(DEFAULT_INSTRUMENTS.map((i) => [i.symbol, ['ana']])));
    app = await testApp(redis, { accounts });
    auth = bearer(await login(app, 'ana'));
    // 25 BTCUSDT ticks, 10 ms apart, except that ticks 10–14 share one event time.
    const ticks = Array.from({ length: 25 }, (_, i) =>
      tickAt('BTCUSDT', i + 1, T0 + (i >= 10 && i < 15 ? 10 : i) * 10_000, `6500${i % 10}.5`),
    );
    await seedMarket(redis, ticks);
    await seedMarket(redis, [tickAt('EURUSD', 7, T0, '1.08512')]);
    await seedCandles(
      redis,
      'BTCUSDT',
      '1m',
      Array.from({ length: 5 }, (_, i) => T0 + i * 60_000_000),
    );
    await seedCandles(redis, 'BTCUSDT', '1s', [T0]);
  });
  afterAll(async () => {
    await app.close();
    await server.close();
  });

  describe('GET /v1/instruments', () => {
    it('200: the desk instruments', async () => {
      const res = await get('/v1/instruments');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ instruments: DEFAULT_INSTRUMENTS });
    });
    it('401 without a token', async () => {
      expectError(await get('/v1/instruments', {}), 401, 'TICKDESK_API_UNAUTHENTICATED');
    });
  });

  describe('GET /v1/instruments/:symbol', () => {
    it('200, 404 unknown, 400 malformed, 401', async () => {
      expect((await get('/v1/instruments/EURUSD')).json()).toEqual(
        DEFAULT_INSTRUMENTS.find((i) => i.symbol === 'EURUSD'),
      );
      expectError(await get('/v1/instruments/NOPE'), 404, 'TICKDESK_API_UNKNOWN_INSTRUMENT', /NOPE/);
      expectError(await get('/v1/instruments/btc!usd'), 400, 'TICKDESK_API_BAD_REQUEST', /params field "symbol"/);
      expectError(await get('/v1/instruments/EURUSD', {}), 401);
    });
  });

  describe('GET /v1/prices and /v1/instruments/:symbol/last', () => {
    it('200: every instrument that traded; the last trade by seq', async () => {
      const prices = (await get('/v1/prices')).json<{ prices: { symbol: string; price: string }[] }>();
      expect(prices.prices.map((p) => p.symbol)).toEqual(['BTCUSDT', 'EURUSD']);
      const last = await get('/v1/instruments/BTCUSDT/last');
      expect(last.statusCode).toBe(200);
      expect(last.json()).toEqual({
        symbol: 'BTCUSDT',
        price: '65004.5',
        size: '0.01',
        seq: 25,
        eventTime: tickAt('BTCUSDT', 25, T0 + 240_000).eventTime,
        ingestTime: tickAt('BTCUSDT', 25, T0 + 240_000).ingestTime,
      });
    });
    it('404 for an unknown instrument and for one that has not traded', async () => {
      expectError(await get('/v1/instruments/NOPE/last'), 404, 'TICKDESK_API_UNKNOWN_INSTRUMENT');
      expectError(await get('/v1/instruments/AAPL/last'), 404, 'TICKDESK_API_NO_DATA');
    });
    it('400 and 401', async () => {
      expectError(await get('/v1/instruments/a%20b/last'), 400, 'TICKDESK_API_BAD_REQUEST');
      expectError(await get('/v1/instruments/BTCUSDT/last', {}), 401);
      expectError(await get('/v1/prices', { authorization: 'Bearer nope' }), 401, 'TICKDESK_API_BAD_TOKEN');
    });
  });

  describe('GET /v1/instruments/:symbol/ticks', () => {
    it('pages through a range with the cursor: every tick once, in order, ties included', async () => {
      const seqs: number[] = [];
      let url = `/v1/instruments/BTCUSDT/ticks?from=${iso(T0)}&to=${iso(T0 + 1_000_000)}&limit=4`;
      for (let pages = 0; pages < 20; pages++) {
        const res = await get(url);
        expect(res.statusCode, res.body).toBe(200);
        const page = res.json<{ symbol: string; ticks: { seq: number }[]; nextCursor?: string }>();
        expect(page.symbol).toBe('BTCUSDT');
        seqs.push(...page.ticks.map((t) => t.seq));
        if (!page.nextCursor) break;
        url = `/v1/instruments/BTCUSDT/ticks?from=${iso(T0)}&to=${iso(T0 + 1_000_000)}&limit=4&cursor=${page.nextCursor}`;
      }
      expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(new Set(seqs).size).toBe(25);
    });
    it('from inclusive, to exclusive, open-ended when to is absent, default limit', async () => {
      const some = (await get(`/v1/instruments/BTCUSDT/ticks?from=${iso(T0 + 10_000)}&to=${iso(T0 + 30_000)}`)).json<{
        ticks: { seq: number }[];
      }>();
      expect(some.ticks.map((t) => t.seq)).toEqual([2, 3]);
      const all = (await get(`/v1/instruments/BTCUSDT/ticks?from=${iso(T0)}`)).json<{
        ticks: unknown[];
        nextCursor?: string;
      }>();
      expect(all.ticks).toHaveLength(25);
      expect(all.nextCursor).toBeUndefined();
      const none = (await get(`/v1/instruments/SOLUSDT/ticks?from=${iso(T0)}`)).json<{ ticks: unknown[] }>();
      expect(none.ticks).toEqual([]);
    });
    it.each([
      ['', /querystring field "from": required/],
      ['from=yesterday', /querystring field "from"/],
      ['from=2025-02-30T00:00:00Z', /querystring field "from": not a valid UTC time/],
      ['from=3000-01-01T00:00:00Z', /querystring field "from": not a valid UTC time/],
      ['from=2025-03-01T00:00:00Z&to=2025-02-01T00:00:00Z', /"to": must not be before "from"/],
      ['from=2025-03-01T00:00:00Z&limit=0', /querystring field "limit"/],
      ['from=2025-03-01T00:00:00Z&limit=10001', /querystring field "limit"/],
      ['from=2025-03-01T00:00:00Z&limit=ten', /querystring field "limit"/],
      ['from=2025-03-01T00:00:00Z&limit=1.5', /querystring field "limit"/],
      ['from=2025-03-01T00:00:00Z&cursor=abc', /querystring field "cursor"/],
      ['from=2025-03-01T00:00:00Z&cursor=9999999999999999:1', /cursor/],
      ['from=2025-03-01T00:00:00Z&from=2025-03-02T00:00:00Z', /querystring field "from"/],
      ['from=2025-03-01T00:00:00Z&frm=1', /querystring field "frm": unknown field/],
    ])('400 for ?%s', async (query, message) => {
      expectError(await get(`/v1/instruments/BTCUSDT/ticks?${query}`), 400, 'TICKDESK_API_BAD_REQUEST', message);
    });
    it('404 and 401', async () => {
      expectError(await get(`/v1/instruments/NOPE/ticks?from=${iso(T0)}`), 404, 'TICKDESK_API_UNKNOWN_INSTRUMENT');
      expectError(await get(`/v1/instruments/BTCUSDT/ticks?from=${iso(T0)}`, {}), 401);
    });
  });

  describe('GET /v1/instruments/:symbol/candles', () => {
    it('200: candles of the interval in range (1m by default), paged', async () => {
      const first = (await get(`/v1/instruments/BTCUSDT/candles?from=${iso(T0)}&limit=3`)).json<{
        interval: string;
        candles: { start: string; high: string; trades: number }[];
        nextCursor?: string;
      }>();
      expect(first.interval).toBe('1m');
      expect(first.candles.map((c) => c.high)).toEqual(['100', '101', '102']);
      expect(first.candles[0]).toEqual({
        symbol: 'BTCUSDT',
        interval: '1m',
        start: '2025-03-01T12:00:00.000000Z',
        open: '100',
        high: '100',
        low: '99',
        close: '101',
        volume: '2.5',
        trades: 3,
      });
      expect(first.nextCursor).toBe('2025-03-01T12:03:00.000000Z');
      const second = (
        await get(`/v1/instruments/BTCUSDT/candles?from=${iso(T0)}&limit=3&cursor=${first.nextCursor}`)
      ).json<typeof first>();
      expect(second.candles.map((c) => c.high)).toEqual(['103', '104']);
      expect(second.nextCursor).toBeUndefined();
      const ranged = (
        await get(
          `/v1/instruments/BTCUSDT/candles?interval=1m&from=${iso(T0 + 60_000_000)}&to=${iso(T0 + 180_000_000)}`,
        )
      ).json<typeof first>();
      expect(ranged.candles.map((c) => c.high)).toEqual(['101', '102']);
      const seconds = (await get(`/v1/instruments/BTCUSDT/candles?interval=1s&from=${iso(T0)}`)).json<typeof first>();
      expect(seconds.candles).toHaveLength(1);
      const hours = (await get(`/v1/instruments/BTCUSDT/candles?interval=1h&from=${iso(T0)}`)).json<typeof first>();
      expect(hours.candles).toEqual([]);
    });
    it.each([
      ['interval=5m&from=2025-03-01T00:00:00Z', /querystring field "interval": must be one of 1s, 1m, 1h/],
      ['interval=1m', /querystring field "from": required/],
      ['from=2025-03-01T00:00:00Z&cursor=soon', /querystring field "cursor"/],
      ['from=2025-03-01T00:00:00Z&limit=-1', /querystring field "limit"/],
      ['from=2025-03-01T00:00:00Z&extra=1', /unknown field/],
    ])('400 for ?%s', async (query, message) => {
      expectError(await get(`/v1/instruments/BTCUSDT/candles?${query}`), 400, 'TICKDESK_API_BAD_REQUEST', message);
    });
    it("serves final candles (up to the recorder's mark) from memory, and open ones as stored now", async () => {
      const url = `/v1/instruments/ETHUSDT/candles?from=${iso(T0)}&limit=3`;
      await seedCandles(
        redis,
        'ETHUSDT',
        '1m',
        Array.from({ length: 5 }, (_, i) => T0 + i * 60_000_000),
      );
      await redis.hset(finalKey('ETHUSDT'), '1m', String(T0 + 120_000_000));
      const first = await get(url);
      expect(first.statusCode).toBe(200);
      expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
      const page = first.json<{ candles: { high: string }[]; nextCursor?: string }>();
      expect(Value.Check(CandlePage, page)).toBe(true);
      expect(page.candles.map((c) => c.high)).toEqual(['100', '101', '102']);
      expect(page.nextCursor).toBe('2025-03-01T12:03:00.000000Z');
      // The recorder never writes a final candle again, so a change to one does not show (it is not read); open ones are read each time.
      const rewrite = async (start: number, high: string) => {
        await redis.zremrangebyscore(candlesKey('1m', 'ETHUSDT'), start, start);
        await redis.zadd(
          candlesKey('1m', 'ETHUSDT'),
          start,
          JSON.stringify([start, '100', high, '99', '101', '2.5', 3]),
        );
      };
      await rewrite(T0 + 60_000_000, '999');
      await rewrite(T0 + 240_000_000, '777');
      expect((await get(url)).body).toBe(first.body);
      const next = (await get(`${url}&cursor=${page.nextCursor}`)).json<typeof page>();
      expect(next.candles.map((c) => c.high)).toEqual(['103', '777']);
    });

    it('500 for a stored candle that does not fit the schema, never a malformed page', async () => {
      await redis.zadd(candlesKey('1h', 'SOLUSDT'), T0, JSON.stringify([T0, '1', '2', 'NaN', '1', '1', 1]));
      expectError(
        await get(`/v1/instruments/SOLUSDT/candles?interval=1h&from=${iso(T0)}`),
        500,
        'TICKDESK_API_INTERNAL',
      );
    });

    it('404 and 401', async () => {
      expectError(await get(`/v1/instruments/NOPE/candles?from=${iso(T0)}`), 404, 'TICKDESK_API_UNKNOWN_INSTRUMENT');
      expectError(await get(`/v1/instruments/BTCUSDT/candles?from=${iso(T0)}`, {}), 401);
    });
  });

  it.each(['alice', 'ana', 'carol', 'admin'])('every desk role reads market data: %s', async (user) => {
    const headers = bearer(await login(app, user));
    for (const url of [
      '/v1/instruments',
      '/v1/instruments/BTCUSDT',
      '/v1/prices',
      '/v1/instruments/BTCUSDT/last',
      `/v1/instruments/BTCUSDT/ticks?from=${iso(T0)}`,
      `/v1/instruments/BTCUSDT/candles?from=${iso(T0)}`,
    ]) {
      expect((await get(url, headers)).statusCode, url).toBe(200);
    }
  });
});
