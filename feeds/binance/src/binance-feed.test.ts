import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SourceEvent } from '@tickdesk/feed-core';
import { collectingSink } from '../../../test/support/collecting-sink.js';
import { createBinanceFeed, type BinanceFeedOptions } from './binance-feed.js';

/** A trade in the documented combined-stream format (Binance spot "Trade Streams"). */
function trade(symbol: string, t: number, p: string, q: string, m: boolean): string {
  const data = { e: 'trade', E: 1672515782136, s: symbol, t, p, q, T: 1672515782134 + t, m, M: true };
  return JSON.stringify({ stream: `${symbol.toLowerCase()}@trade`, data });
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

let server: WebSocketServer;
let base: string;
/** What the server does with its n-th connection (0-based). */
let script: (socket: WebSocket, n: number) => void;
const requests: string[] = [];
/** Server-side timers, cleared after each test so they cannot skew the timer count. */
const serverTimers = new Set<NodeJS.Timeout>();
const later = (fn: () => void, ms: number): void => {
  const t = setTimeout(() => (serverTimers.delete(t), fn()), ms);
  serverTimers.add(t);
};

beforeEach(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  requests.length = 0;
  server.on('connection', (socket, req) => {
    requests.push(req.url ?? '');
    script(socket, requests.length - 1);
  });
});
afterEach(async () => {
  serverTimers.forEach(clearTimeout);
  serverTimers.clear();
  for (const c of server.clients) c.terminate();
  await new Promise((r) => server.close(r));
});

function start(extra: Partial<BinanceFeedOptions> = {}) {
  const feed = createBinanceFeed({
    url: base,
    symbols: ['BTCUSDT', 'ethusdt'],
    reconnect: { initialMs: 5, maxMs: 20 },
    ...extra,
  });
  const sink = collectingSink();
  const ac = new AbortController();
  const done = feed.run(sink, ac.signal);
  return { feed, sink, ac, done };
}

describe('createBinanceFeed', () => {
  it('subscribes to the combined trade stream and passes ticks on with exact strings', async () => {
    script = (s) => {
      s.send(trade('BTCUSDT', 100, '16569.01000000', '0.01000000', false));
      s.send(trade('ETHUSDT', 7, '1196.52', '0.2', true));
    };
    const { feed, sink, ac, done } = start();
    await until(() => sink.ticks.length === 2);
    expect(requests).toEqual(['/stream?streams=btcusdt@trade/ethusdt@trade']);
    expect(sink.ticks).toEqual([
      {
        symbol: 'BTCUSDT',
        seq: 100,
        price: '16569.01000000',
        size: '0.01000000',
        side: 'buy',
        eventTimeMicros: 1672515782234000,
      },
      { symbol: 'ETHUSDT', seq: 7, price: '1196.52', size: '0.2', side: 'sell', eventTimeMicros: 1672515782141000 },
    ]);
    expect(feed.state()).toBe('running');
    ac.abort();
    await done;
    expect(feed.state()).toBe('stopped');
    expect(sink.events).toEqual([]);
  });

  it('reconnects after the server drops it, reports the gap and drops repeats', async () => {
    script = (s, n) => {
      if (n === 0) {
        [1, 2, 3].forEach((t) => s.send(trade('BTCUSDT', t, '100.5', '1', false)));
        later(() => s.terminate(), 20);
      } else {
        [3, 7, 8, 8].forEach((t) => s.send(trade('BTCUSDT', t, '101', '2', true)));
      }
    };
    const { feed, sink, ac, done } = start();
    await until(() => sink.ticks.length === 5);
    expect(sink.ticks.map((t) => t.seq)).toEqual([1, 2, 3, 7, 8]);
    expect(sink.events).toEqual([
      { kind: 'reconnect', attempt: 1, delayMs: expect.any(Number) as number },
      { kind: 'gap', symbol: 'BTCUSDT', from: 4, to: 6 },
    ]);
    const reconnect = sink.events[0] as Extract<SourceEvent, { kind: 'reconnect' }>;
    expect(reconnect.delayMs).toBeLessThanOrEqual(5);
    await until(() => feed.stats().messages === 7);
    expect(feed.stats()).toEqual({ messages: 7, ticks: 5, malformed: 0, gaps: 1, duplicates: 2, reconnects: 1 });
    expect(feed.state()).toBe('running');
    ac.abort();
    await done;
  });

  it('backs off exponentially with full jitter while the venue refuses, degraded meanwhile', async () => {
    script = (s) => s.close(1013, 'try again later');
    const { feed, sink, ac, done } = start({ random: () => 0.999, reconnect: { initialMs: 4, maxMs: 16 } });
    await until(() => sink.events.length >= 4);
    expect(feed.state()).toBe('degraded');
    expect(sink.events.slice(0, 4)).toEqual([
      { kind: 'reconnect', attempt: 1, delayMs: 4 },
      { kind: 'reconnect', attempt: 2, delayMs: 8 },
      { kind: 'reconnect', attempt: 3, delayMs: 16 },
      { kind: 'reconnect', attempt: 4, delayMs: 16 },
    ]);
    ac.abort();
    await done;
  });

  it('resets the backoff after a stable connection', async () => {
    script = (s) => later(() => s.terminate(), 30);
    const { sink, ac, done } = start({ random: () => 0.999, reconnect: { initialMs: 4, maxMs: 1000, stableMs: 20 } });
    await until(() => sink.events.length >= 3);
    expect(sink.events.slice(0, 3).map((e) => (e.kind === 'reconnect' ? e.attempt : e))).toEqual([1, 1, 1]);
    ac.abort();
    await done;
  });

  it('reconnects when a connection goes silent for idleTimeoutMs', async () => {
    script = () => {};
    const { feed, sink, ac, done } = start({ idleTimeoutMs: 40 });
    await until(() => sink.events.length >= 1);
    expect(sink.events[0]).toMatchObject({ kind: 'reconnect', attempt: 1 });
    await until(() => requests.length >= 2);
    expect(feed.stats().reconnects).toBeGreaterThanOrEqual(1);
    ac.abort();
    await done;
  });

  it('reports malformed messages and keeps going', async () => {
    script = (s) => {
      s.send('not json');
      s.send(
        JSON.stringify({
          stream: 'btcusdt@trade',
          data: { e: 'trade', s: 'BTCUSDT', t: 1, p: 9682.19, q: '1', T: 1, m: false },
        }),
      );
      s.send(JSON.stringify({ result: null, id: 1 }));
      s.send(trade('BTCUSDT', 2, '9682.19', '0.5', false));
    };
    const { feed, sink, ac, done } = start();
    await until(() => sink.ticks.length === 1);
    expect(sink.ticks[0]!.price).toBe('9682.19');
    expect(sink.events).toEqual([
      { kind: 'malformed', reason: 'bad JSON', raw: 'not json' },
      {
        kind: 'malformed',
        reason: 'trade price or quantity not a string',
        raw: expect.stringContaining('"p":9682.19') as string,
      },
      { kind: 'malformed', reason: 'unexpected event type', raw: '{"result":null,"id":1}' },
    ]);
    expect(feed.stats().malformed).toBe(3);
    ac.abort();
    await done;
  });

  it('stops cleanly on abort, connected or waiting to reconnect, leaving no timers', async () => {
    const before = timers();
    script = () => {};
    const connected = start();
    await until(() => connected.feed.state() === 'running');
    const t0 = performance.now();
    connected.ac.abort();
    await connected.done;
    expect(performance.now() - t0).toBeLessThan(200);

    script = (s) => s.terminate();
    const waiting = start({ reconnect: { initialMs: 60_000, maxMs: 60_000 }, random: () => 0.999 });
    await until(() => waiting.sink.events.length === 1);
    const t1 = performance.now();
    waiting.ac.abort();
    await waiting.done;
    expect(performance.now() - t1).toBeLessThan(200);
    expect(waiting.feed.state()).toBe('stopped');
    // A timer of an earlier test may end meanwhile (seen on a loaded machine): none may be left beyond those.
    expect(timers()).toBeLessThanOrEqual(before);
    await until(() => server.clients.size === 0);
  });

  it('refuses bad options with a coded error', () => {
    const opts = { url: base, symbols: ['BTCUSDT'], reconnect: { initialMs: 10, maxMs: 100 } };
    expect(() => createBinanceFeed({ ...opts, symbols: [] })).toThrow(
      expect.objectContaining({ code: 'TICKDESK_BINANCE_CONFIG' }) as Error,
    );
    expect(() => createBinanceFeed({ ...opts, symbols: ['btc/usdt'] })).toThrow(/symbol/);
    expect(() => createBinanceFeed({ ...opts, url: 'https://x' })).toThrow(/ws/);
    expect(() => createBinanceFeed({ ...opts, reconnect: { initialMs: 0, maxMs: 1 } })).toThrow(/initialMs/);
  });
});
