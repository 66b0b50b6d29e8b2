import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createBinanceFeed } from '@tickdesk/feed-binance';
import { createReplayFeed } from '@tickdesk/feed-replay';
import { createSyntheticFeed } from '@tickdesk/feed-synthetic';
import { DEFAULT_INSTRUMENTS, formatMicros, isMultipleOf } from '@tickdesk/schemas';
import type { XmppClient } from '@tickdesk/xmpp';
import { runFeed } from './feed-runner.js';
import { collectTicks, connect, waitFor } from './helpers.js';
import { SAMPLE, sampleTrades } from './sample.js';

let alice: XmppClient;
beforeAll(async () => {
  alice = await connect('alice', 'adapters');
});
afterAll(async () => {
  await alice?.stop();
});

describe('each feed adapter → feed core → pubsub → subscriber', () => {
  it('synthetic: the seeded walk arrives in order with exact tick-size prices', async () => {
    const esz6 = DEFAULT_INSTRUMENTS.filter((i) => i.symbol === 'ESZ6');
    const { ticks, sub } = await collectTicks(alice, ['ESZ6']);
    const run = await runFeed(createSyntheticFeed({ instruments: esz6, ratePerSecond: 2000, seed: 11 }));
    await waitFor(() => ticks.length >= 500, 15_000, '500 synthetic ticks');
    await run.stop();
    await sub.stop();
    expect(ticks.map((t) => t.seq)).toEqual(ticks.map((_, i) => i + 1));
    for (const t of ticks) expect(isMultipleOf(t.price, '0.25'), t.price).toBe(true);
  });

  it('replay: every trade of the shipped Binance sample arrives exactly (3,791 ticks)', async () => {
    const expected = sampleTrades();
    const { ticks, sub } = await collectTicks(alice, ['BTCUSDT']);
    const run = await runFeed(createReplayFeed({ path: SAMPLE, speed: 'max', progress: false }));
    await run.finished();
    await waitFor(() => ticks.length >= expected.length, 20_000, 'all replayed ticks');
    await sub.stop();
    expect(ticks.length).toBe(expected.length);
    expect(ticks.map((t) => [t.seq, t.price, t.size, t.side, t.eventTime])).toEqual(
      expected.map((e) => [
        e.seq,
        e.price.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, ''),
        e.size.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, ''),
        e.side,
        formatMicros(e.eventMicros),
      ]),
    );
  });

  it('binance: trades from a venue-format WebSocket server arrive, with the venue gap counted', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const now = Date.now();
    const trade = (t: number, p: string, q: string, m: boolean) =>
      JSON.stringify({
        stream: 'ethusdt@trade',
        data: { e: 'trade', E: now, s: 'ETHUSDT', t, p, q, T: now - 1000 + t, m, M: true },
      });
    server.on('connection', (socket) => {
      for (const [t, p, q, m] of [
        [101, '3401.10000000', '0.50000000', false],
        [102, '3401.20', '1', true],
        [105, '3399.99', '0.001', false],
      ] as const) {
        socket.send(trade(t, p, q, m));
      }
    });
    const { ticks, sub } = await collectTicks(alice, ['ETHUSDT']);
    const source = createBinanceFeed({
      url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
      symbols: ['ETHUSDT'],
      reconnect: { initialMs: 50, maxMs: 500 },
    });
    const run = await runFeed(source);
    await waitFor(() => ticks.length >= 3, 10_000, 'binance ticks');
    await run.stop();
    await sub.stop();
    for (const c of server.clients) c.terminate();
    await new Promise((r) => server.close(r));
    expect(ticks.map((t) => [t.seq, t.price, t.size, t.side])).toEqual([
      [101, '3401.1', '0.5', 'buy'],
      [102, '3401.2', '1', 'sell'],
      [105, '3399.99', '0.001', 'buy'],
    ]);
    expect(source.stats().gaps).toBe(1);
  });
});
