import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { DEFAULT_INSTRUMENTS, parseTimestamp, type SensorInstrument } from '@tickdesk/schemas';
import type { ApiApp } from '../app.js';
import { bearer, fakeEntitlements, login, seedMarket, seedUsers, testApp, tickAt } from '../app.test-util.js';
import { privateRedis } from '../redis.test-util.js';

const FREEZER: SensorInstrument = {
  kind: 'sensor',
  symbol: 'IOT.SITE1.FREEZER',
  name: 'Site 1 freezer',
  unit: '°C',
  decimals: 1,
  min: '-40',
  max: '10',
};

describe('sensor instruments over REST', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let redis: Redis;
  let app: ApiApp;
  const get = async (url: string, user: string) => app.inject({ url, headers: bearer(await login(app, user)) });

  beforeAll(async () => {
    server = await privateRedis();
    redis = server.client();
    await seedUsers(redis);
    // The analyst is granted the freezer only: a sensor is entitled like any instrument.
    const { accounts } = fakeEntitlements({ [FREEZER.symbol]: ['ana'] });
    app = await testApp(redis, { accounts, instruments: [...DEFAULT_INSTRUMENTS, FREEZER] });
    await seedMarket(redis, [tickAt(FREEZER.symbol, 3, parseTimestamp('2026-12-06T15:00:00Z')!, '-18.5')]);
  });
  afterAll(async () => {
    await app.close();
    await server.close();
  });

  it('GET /v1/instruments: every instrument with its kind, unit and decimals; a sensor with its range and no venue fields', async () => {
    const res = await get('/v1/instruments', 'alice');
    expect(res.statusCode).toBe(200);
    const { instruments } = res.json<{ instruments: Record<string, unknown>[] }>();
    expect(instruments.map((i) => [i.symbol, i.kind, i.unit, i.decimals])).toEqual([
      ...DEFAULT_INSTRUMENTS.map((i) => [i.symbol, 'market', i.quote, i.decimals]),
      [FREEZER.symbol, 'sensor', '°C', 1],
    ]);
    expect(instruments.at(-1)).toEqual(FREEZER);
    expect(instruments.find((i) => i.symbol === 'EURUSD')).toMatchObject({
      unit: 'USD',
      decimals: 5,
      tickSize: '0.00001',
    });
  });

  it('an analyst granted the sensor reads it, its negative last value exactly, and no other instrument', async () => {
    expect((await get('/v1/instruments', 'ana')).json()).toEqual({ instruments: [FREEZER] });
    expect((await get(`/v1/instruments/${FREEZER.symbol}`, 'ana')).json()).toEqual(FREEZER);
    expect((await get(`/v1/instruments/${FREEZER.symbol}/last`, 'ana')).json()).toMatchObject({
      price: '-18.5',
      seq: 3,
    });
    expect((await get('/v1/instruments/BTCUSDT', 'ana')).statusCode).toBe(403);
  });
});
