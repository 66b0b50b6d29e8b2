import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { Value } from '@sinclair/typebox/value';
import type { BarInterval } from '@tickdesk/schemas';
import { decodeCandle, toBar, type CandleMembers } from '@tickdesk/recorder';
import { createCandlePages } from './candle-pages.js';
import { CandlePage } from './market-schemas.js';
import { dedupeSchemaIds } from './schema-ids.js';

const M = 60_000_000;
const T0 = 29_000_000 * M; // 2025-02-20T13:20:00Z

/** A recorder's candles of one series in memory, read the way the store reads Redis, counting reads. */
function fakeStore() {
  const candles = new Map<number, string>();
  const state = {
    final: undefined as number | undefined,
    reads: [] as Array<[number, number, number]>,
    readsWithoutMark: 0,
  };
  let version = 0;
  const put = (start: number, close = String(100 + (version++ % 50))) =>
    candles.set(start, JSON.stringify([start, '100.5', '101.25', '99', close, '12.125', 1 + ((start / M) % 7)]));
  return {
    state,
    put,
    async candleMembers(
      _symbol: string,
      _interval: BarInterval,
      from: number,
      to: number,
      limit: number,
      withFinal = true,
    ): Promise<CandleMembers> {
      state.reads.push([from, to, limit]);
      if (!withFinal) state.readsWithoutMark++;
      const starts = [...candles.keys()]
        .filter((s) => s >= from && s < to)
        .sort((a, b) => a - b)
        .slice(0, limit);
      return { members: starts.map((s) => candles.get(s)!), starts, finalThrough: withFinal ? state.final : undefined };
    },
    /** The page as the route built it before: decoded bars, serialised as an object. */
    reference(from: number, to: number, limit: number): string {
      const starts = [...candles.keys()].filter((s) => s >= from && s < to).sort((a, b) => a - b);
      const bars = starts.slice(0, limit).map((s) => toBar(decodeCandle('BTCUSDT', '1m', candles.get(s)!)));
      const next =
        starts.length > limit ? toBar(decodeCandle('BTCUSDT', '1m', candles.get(starts[limit]!)!)).start : undefined;
      return JSON.stringify({
        symbol: 'BTCUSDT',
        interval: '1m',
        candles: bars,
        ...(next ? { nextCursor: next } : {}),
      });
    },
  };
}

const text = (body: string | Buffer) => body.toString();

describe('candle pages', () => {
  it('are byte for byte what the route schema serializer writes, and valid against it', async () => {
    const store = fakeStore();
    for (let i = 0; i < 30; i++) store.put(T0 + i * M);
    store.state.final = T0 + 20 * M;
    const pages = createCandlePages({ store, cacheBytes: 1 << 20 });
    const app = Fastify();
    app.get(
      '/page',
      { schema: { response: { 200: dedupeSchemaIds(CandlePage) } } },
      async () => JSON.parse(store.reference(T0, T0 + 100 * M, 25)) as unknown,
    );
    const serialized = (await app.inject('/page')).body;
    await app.close();
    for (let i = 0; i < 3; i++) {
      const body = text(await pages.json('BTCUSDT', '1m', T0, T0 + 100 * M, 25));
      expect(body).toBe(serialized);
      expect(Value.Check(CandlePage, JSON.parse(body))).toBe(true);
    }
    expect(text(await pages.json('BTCUSDT', '1m', T0 + 50 * M, T0 + 100 * M, 25))).toBe(
      '{"symbol":"BTCUSDT","interval":"1m","candles":[]}',
    );
  });

  it('keeps final candles in memory and reads only the open ones again', async () => {
    const store = fakeStore();
    for (let i = 0; i < 300; i++) store.put(T0 + i * M);
    store.state.final = T0 + 289 * M;
    const pages = createCandlePages({ store, cacheBytes: 1 << 22 });
    const open = T0 + 400 * M;
    // All final: read once.
    for (let i = 0; i < 3; i++)
      expect(text(await pages.json('BTCUSDT', '1m', T0 + 30.5 * M, T0 + 130 * M, 1_000))).toBe(
        store.reference(T0 + 31 * M, T0 + 130 * M, 1_000),
      );
    expect(store.state.reads).toEqual([[T0 + 31 * M, T0 + 130 * M, 1_001]]);
    // Reaching into the open candles: the final part once, then only what follows the mark.
    store.state.reads = [];
    for (let i = 0; i < 3; i++) {
      store.put(T0 + 299 * M);
      expect(text(await pages.json('BTCUSDT', '1m', T0 + 60 * M, open, 1_000))).toBe(
        store.reference(T0 + 60 * M, open, 1_000),
      );
    }
    expect(store.state.reads).toEqual([
      [T0 + 60 * M, open, 1_001],
      [T0 + 290 * M, open, 771],
      [T0 + 290 * M, open, 771],
    ]);
    // A page that ends inside the final part needs no read; its cursor points on.
    store.state.reads = [];
    expect(text(await pages.json('BTCUSDT', '1m', T0 + 60 * M, open, 100))).toBe(
      store.reference(T0 + 60 * M, open, 100),
    );
    expect(text(await pages.json('BTCUSDT', '1m', T0 + 60 * M, open, 100))).toBe(
      store.reference(T0 + 60 * M, open, 100),
    );
    expect(store.state.reads).toHaveLength(1);
  });

  it('lets concurrent requests for the same open candles share one read', async () => {
    const store = fakeStore();
    for (let i = 0; i < 30; i++) store.put(T0 + i * M);
    store.state.final = T0 + 19 * M;
    const pages = createCandlePages({ store, cacheBytes: 1 << 20 });
    const open = Number.MAX_SAFE_INTEGER;
    await pages.json('BTCUSDT', '1m', T0, open, 100);
    store.state.reads = [];
    const bodies = await Promise.all(Array.from({ length: 5 }, () => pages.json('BTCUSDT', '1m', T0, open, 100)));
    expect(store.state.reads).toEqual([[T0 + 20 * M, open, 81]]);
    for (const body of bodies) expect(text(body)).toBe(store.reference(T0, open, 100));
    store.put(T0 + 29 * M);
    expect(text(await pages.json('BTCUSDT', '1m', T0, open, 100))).toBe(store.reference(T0, open, 100));
    expect(store.state.reads).toHaveLength(2);
  });

  it('reads everything again when the history was replaced (the mark went down), when entries expire, and never caches with 0 bytes', async () => {
    let clock = Date.UTC(2026, 0, 1); // a wall clock: lru-cache takes a start time of 0 for no start
    const store = fakeStore();
    for (let i = 0; i < 10; i++) store.put(T0 + i * M);
    store.state.final = T0 + 9 * M;
    const pages = createCandlePages({ store, cacheBytes: 1 << 20, now: () => clock });
    await pages.json('BTCUSDT', '1m', T0, T0 + 10 * M, 50);
    await pages.json('BTCUSDT', '1m', T0, T0 + 10 * M, 50);
    expect(store.state.reads).toHaveLength(1);
    clock += 61_000;
    await pages.json('BTCUSDT', '1m', T0, T0 + 10 * M, 50);
    expect(store.state.reads).toHaveLength(2);

    // Redis flushed and written anew: the first read shows a lower mark, then nothing old is served.
    store.state.final = undefined;
    for (let i = 0; i < 10; i++) store.put(T0 + i * M, '7');
    await pages.json('BTCUSDT', '1m', T0 + 5 * M, T0 + 10 * M, 50);
    expect(text(await pages.json('BTCUSDT', '1m', T0, T0 + 10 * M, 50))).toBe(store.reference(T0, T0 + 10 * M, 50));

    const uncached = fakeStore();
    uncached.put(T0);
    uncached.state.final = T0;
    const none = createCandlePages({ store: uncached, cacheBytes: 0 });
    for (let i = 0; i < 3; i++) await none.json('BTCUSDT', '1m', T0, T0 + M, 5);
    expect(uncached.state.reads).toHaveLength(3);
  });

  it('equals a fresh read whatever the range, limit, and what changed after the mark (random walk)', async () => {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const int = (n: number) => Math.floor(random() * n);
    const store = fakeStore();
    let newest = 40;
    for (let i = 0; i < newest; i++) if (random() < 0.8) store.put(T0 + i * M);
    store.state.final = T0 + (newest - 10) * M;
    let clock = Date.UTC(2026, 0, 1); // a wall clock: lru-cache takes a start time of 0 for no start
    const pages = createCandlePages({ store, cacheBytes: 64 << 10, now: () => clock });
    const query = (): [number, number, number] => {
      const from = T0 + int(newest + 5) * M + (random() < 0.3 ? int(M) : 0);
      const to = random() < 0.3 ? Number.MAX_SAFE_INTEGER : from + int(60) * M + (random() < 0.3 ? int(M) : 0);
      return [from, to, 1 + int(random() < 0.5 ? 5 : 60)];
    };
    const queries = Array.from({ length: 12 }, query);
    let requests = 0;
    for (let step = 0; step < 3_000; step++) {
      clock += 50;
      const op = random();
      if (op < 0.04) store.put(T0 + (newest += 1 + int(2)) * M);
      else if (op < 0.2)
        store.put(T0 + (newest - int(10)) * M); // an open candle changes
      else if (op < 0.22)
        store.state.final = T0 + (newest - 10) * M; // the recorder closes buckets
      else {
        // Mostly the same few queries again, as dashboards and paging clients ask them.
        const [from, to, limit] = random() < 0.8 ? queries[int(queries.length)]! : query();
        requests++;
        expect(text(await pages.json('BTCUSDT', '1m', from, to, limit)), `step ${step}`).toBe(
          store.reference(Math.ceil(from / M) * M, to, limit),
        );
      }
    }
    // The cache was used both ways: pages from memory alone, and final runs followed by open candles (the mark not read again).
    expect(store.state.reads.length).toBeLessThan(requests * 0.7);
    expect(store.state.readsWithoutMark).toBeGreaterThan(30);
  });
});
