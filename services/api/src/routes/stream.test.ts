import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { ApiApp } from '../app.js';
import streamRoutes from './stream.js';
import { fakeEntitlements } from '../app.test-util.js';
import {
  alertFixture,
  AS,
  bearer,
  buildTestApp,
  OTHER_SYMBOL,
  privateRedis,
  seedUsers,
  SYMBOL,
  until,
} from './route.test-util.js';

let redis: Awaited<ReturnType<typeof privateRedis>>;
let client: Redis;
let app: ApiApp;
let port: number;
const streams: SseClient[] = [];

const OPTIONS = { pricePollMs: 20, alertPollMs: 20, heartbeatMs: 150 };
/** The analyst (ana) reads SYMBOL only. */
const ents = fakeEntitlements({ [SYMBOL]: [AS.analyst], [OTHER_SYMBOL]: [] });

beforeAll(async () => {
  redis = await privateRedis();
  client = redis.client();
  app = await buildTestApp(client, [(v1) => streamRoutes(v1, OPTIONS)], {
    accounts: ents.accounts,
    config: { entitlementCacheMs: 0 },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await app?.close();
  await redis?.close();
});
beforeEach(async () => {
  await client.flushall();
  await seedUsers(client);
});
afterEach(() => {
  for (const s of streams.splice(0)) s.close();
});

interface Frame {
  event?: string;
  data?: unknown;
  comment?: string;
}
interface SseClient {
  res: IncomingMessage;
  frames: Frame[];
  next(match: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  close(): void;
  ended: Promise<void>;
}

/** GET /v1/stream over real HTTP, parsing frames as they arrive. */
function connect(query = '', user: string | null = AS.alice): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: `/v1/stream${query}`, headers: user ? bearer(user) : {} },
      (res) => {
        const frames: Frame[] = [];
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
            const frame: Frame = {};
            for (const line of buffer.slice(0, cut).split('\n')) {
              if (line.startsWith(':')) frame.comment = line.slice(1).trim();
              else if (line.startsWith('event: ')) frame.event = line.slice(7);
              else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6));
            }
            frames.push(frame);
            buffer = buffer.slice(cut + 2);
          }
        });
        const ended = new Promise<void>((r) => res.once('close', () => r()));
        res.on('error', () => undefined);
        const sse: SseClient = {
          res,
          frames,
          ended,
          async next(match, timeoutMs = 3_000) {
            let found: Frame | undefined;
            await until(() => {
              const i = frames.findIndex(match);
              if (i >= 0) found = frames.splice(i, 1)[0];
              return found !== undefined;
            }, timeoutMs);
            return found!;
          },
          close: () => req.destroy(),
        };
        streams.push(sse);
        resolve(sse);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const last = (price: string, seq: number) =>
  JSON.stringify({
    price,
    size: '0.5',
    seq,
    eventTime: '2026-11-21T10:00:00.000001Z',
    ingestTime: '2026-11-21T10:00:00.000002Z',
  });
const isPrice = (symbol: string, price?: string) => (f: Frame) =>
  f.event === 'price' &&
  (f.data as { symbol: string }).symbol === symbol &&
  (price === undefined || (f.data as { price: string }).price === price);
const pricePolls = async () => Number(/cmdstat_hgetall:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0);

describe('GET /v1/stream', () => {
  it('sends a snapshot of last prices, then each change, for the symbols asked for', async () => {
    await client.hset('td:last', SYMBOL, last('65000.5', 1), OTHER_SYMBOL, last('3400', 1));
    const sse = await connect(`?symbols=${SYMBOL}`);
    expect(sse.res.statusCode).toBe(200);
    expect(sse.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(sse.res.headers['cache-control']).toBe('no-cache, no-transform');
    const first = await sse.next(isPrice(SYMBOL));
    expect(first.data).toEqual({
      symbol: SYMBOL,
      price: '65000.5',
      size: '0.5',
      seq: 1,
      eventTime: '2026-11-21T10:00:00.000001Z',
      ingestTime: '2026-11-21T10:00:00.000002Z',
    });
    await client.hset('td:last', OTHER_SYMBOL, last('3401', 2));
    await client.hset('td:last', SYMBOL, last('65001', 2));
    await sse.next(isPrice(SYMBOL, '65001'));
    expect(sse.frames.some(isPrice(OTHER_SYMBOL))).toBe(false);
  });

  it('gives a second client the snapshot at once, and every client every instrument when it names none', async () => {
    await client.hset('td:last', SYMBOL, last('1', 1), OTHER_SYMBOL, last('2', 1));
    const a = await connect();
    await a.next(isPrice(OTHER_SYMBOL));
    const b = await connect('', AS.compliance);
    await b.next(isPrice(SYMBOL, '1'));
    await b.next(isPrice(OTHER_SYMBOL, '2'));
  });

  it('never sends a price that is not a decimal string', async () => {
    await client.hset(
      'td:last',
      SYMBOL,
      JSON.stringify({ price: 65000.5, size: '1', seq: 1 }),
      OTHER_SYMBOL,
      '{broken',
    );
    const sse = await connect();
    await client.hset('td:last', 'SOLUSDT', last('150', 1));
    await sse.next(isPrice('SOLUSDT'));
    expect(sse.frames.filter((f) => f.event === 'price')).toEqual([]);
  });

  it("sends a sensor's zero and negative values as they were recorded", async () => {
    await client.hset('td:last', 'IOT.X', last('-18.5', 1));
    const sse = await connect();
    await sse.next(isPrice('IOT.X', '-18.5'));
    await client.hset('td:last', 'IOT.X', last('0', 2));
    await sse.next(isPrice('IOT.X', '0'));
  });

  it("streams the caller's new alerts and their lifecycle steps, not anyone else's", async () => {
    const sse = await connect('?symbols=SOLUSDT');
    const bobs = await connect('', AS.bob);
    await new Promise((r) => setTimeout(r, 80)); // the baseline read
    const alert = alertFixture();
    await app.deps.alerts.create(alert);
    expect((await sse.next((f) => f.event === 'alert')).data).toEqual(alert);
    await app.deps.alerts.transition(alert.id, { state: 'sent' }, { event: 'sent', at: '2026-11-21T10:00:01.000Z' });
    const sent = (await sse.next((f) => f.event === 'alert')).data as { state: string; lifecycle: unknown[] };
    expect(sent).toMatchObject({ id: alert.id, state: 'sent' });
    expect(sent.lifecycle).toHaveLength(2);
    expect(bobs.frames.some((f) => f.event === 'alert')).toBe(false);
  });

  it('sends no alerts that existed before it connected, and none with alerts=false', async () => {
    await app.deps.alerts.create(alertFixture());
    const sse = await connect();
    const quiet = await connect('?alerts=false');
    await new Promise((r) => setTimeout(r, 80));
    const fresh = alertFixture();
    await app.deps.alerts.create(fresh);
    expect((await sse.next((f) => f.event === 'alert')).data).toMatchObject({ id: fresh.id });
    await new Promise((r) => setTimeout(r, 80));
    expect(sse.frames.some((f) => f.event === 'alert')).toBe(false);
    expect(quiet.frames.some((f) => f.event === 'alert')).toBe(false);
  });

  it('sends heartbeat comments', async () => {
    const sse = await connect();
    await sse.next((f) => f.comment === 'connected');
    await sse.next((f) => f.comment === 'heartbeat');
  });

  it('stops reading Redis once the last client has gone', async () => {
    const sse = await connect();
    await until(async () => (await pricePolls()) > 2);
    sse.close();
    await sse.ended;
    await new Promise((r) => setTimeout(r, 100));
    const after = await pricePolls();
    await new Promise((r) => setTimeout(r, 200));
    expect(await pricePolls()).toBe(after);
  });

  it.each([
    ['an unknown instrument', '?symbols=BTCUSDT,NOPE'],
    ['a malformed list', '?symbols=btc;usd'],
    ['a non-boolean alerts flag', '?alerts=maybe'],
  ])('refuses %s with 400', async (_what, query) => {
    const res = await app.inject({ url: `/v1/stream${query}`, headers: bearer(AS.alice) });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json<{ code: string }>().code).toBe('TICKDESK_API_BAD_REQUEST');
  });
});

describe('GET /v1/stream for an analyst', () => {
  beforeEach(() => {
    ents.members.set(SYMBOL, new Set([AS.analyst]));
    ents.members.set(OTHER_SYMBOL, new Set());
  });

  it('sends only the instruments the analyst is entitled to', async () => {
    await client.hset('td:last', SYMBOL, last('65000.5', 1), OTHER_SYMBOL, last('3400', 1));
    const sse = await connect('', AS.analyst);
    await sse.next(isPrice(SYMBOL, '65000.5'));
    await client.hset('td:last', OTHER_SYMBOL, last('3401', 2));
    await client.hset('td:last', SYMBOL, last('65001', 2));
    await sse.next(isPrice(SYMBOL, '65001'));
    expect(sse.frames.some(isPrice(OTHER_SYMBOL))).toBe(false);
  });

  it('refuses a stream of an instrument the analyst is not entitled to with 403', async () => {
    const res = await app.inject({ url: `/v1/stream?symbols=${SYMBOL},${OTHER_SYMBOL}`, headers: bearer(AS.analyst) });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json<{ code: string }>().code).toBe('TICKDESK_API_NOT_ENTITLED');
  });

  it('follows a grant and a revocation on an open stream', async () => {
    await client.hset('td:last', SYMBOL, last('1', 1), OTHER_SYMBOL, last('2', 1));
    const sse = await connect('', AS.analyst);
    await sse.next(isPrice(SYMBOL, '1'));
    ents.members.get(OTHER_SYMBOL)!.add(AS.analyst);
    await sse.next(isPrice(OTHER_SYMBOL, '2'));
    ents.members.get(SYMBOL)!.delete(AS.analyst);
    await new Promise((r) => setTimeout(r, 100));
    await client.hset('td:last', SYMBOL, last('3', 2), OTHER_SYMBOL, last('4', 2));
    await sse.next(isPrice(OTHER_SYMBOL, '4'));
    expect(sse.frames.some(isPrice(SYMBOL, '3'))).toBe(false);
  });
});

describe('authorization: every role against GET /v1/stream', () => {
  it.each([
    ['none', 401],
    ['trader', 200],
    ['analyst', 200],
    ['compliance', 200],
    ['admin', 200],
  ] as const)('as %s → %i', async (who, status) => {
    const sse = await connect('', who === 'none' ? null : AS[who]);
    expect(sse.res.statusCode).toBe(status);
    if (status === 401) {
      await sse.ended;
      expect(sse.res.headers['content-type']).toMatch(/^application\/json/);
    }
  });
});

describe('closing the app', () => {
  it('ends open streams instead of waiting for them', async () => {
    const other = await buildTestApp(client, [(v1) => streamRoutes(v1, OPTIONS)]);
    await other.listen({ port: 0, host: '127.0.0.1' });
    const otherPort = (other.server.address() as AddressInfo).port;
    const res = await new Promise<IncomingMessage>((resolve) =>
      httpRequest({ host: '127.0.0.1', port: otherPort, path: '/v1/stream', headers: bearer(AS.alice) }, resolve).end(),
    );
    expect(res.statusCode).toBe(200);
    res.resume();
    const ended = new Promise((r) => res.once('end', r));
    const started = Date.now();
    await other.close();
    await ended;
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('open streams are bounded', () => {
  it('per user and in all: one more is refused with 429 TICKDESK_API_TOO_MANY_STREAMS; a closed stream frees its place', async () => {
    const other = await buildTestApp(client, [(v1) => streamRoutes(v1, OPTIONS)], {
      accounts: ents.accounts,
      config: { streamsPerUser: 2, streamsMax: 3 },
    });
    await other.listen({ port: 0, host: '127.0.0.1' });
    const otherPort = (other.server.address() as AddressInfo).port;
    const held: IncomingMessage[] = [];
    const open = async (user: string) => {
      const res = await new Promise<IncomingMessage>((resolve) =>
        httpRequest({ host: '127.0.0.1', port: otherPort, path: '/v1/stream', headers: bearer(user) }, resolve).end(),
      );
      let body = '';
      if (res.statusCode === 200) held.push(res.on('data', () => undefined));
      else await new Promise((r) => res.on('data', (c: Buffer) => (body += c.toString())).once('end', r));
      return { status: res.statusCode, body };
    };
    try {
      expect((await open(AS.alice)).status).toBe(200);
      expect((await open(AS.alice)).status).toBe(200);
      const third = await open(AS.alice);
      expect(third.status).toBe(429);
      expect(JSON.parse(third.body)).toMatchObject({ code: 'TICKDESK_API_TOO_MANY_STREAMS' });
      expect((await open(AS.analyst)).status).toBe(200);
      expect((await open(AS.admin)).status).toBe(429);
      held.shift()!.destroy();
      await until(async () => (await open(AS.admin)).status === 200, 3_000);
    } finally {
      for (const res of held) res.destroy();
      await other.close();
    }
  });
});
