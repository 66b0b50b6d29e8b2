import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeed, createFeedMetrics, type RawTick } from '@tickdesk/feed-core';
import { DEFAULT_INSTRUMENTS, decodeBar, barsNode, type Bar } from '@tickdesk/schemas';
import { createItemSubscriber, createPubsub, type XmppClient } from '@tickdesk/xmpp';
import { collectTicks, connect, desk, log, waitFor } from './helpers.js';
import { listSource } from './feed-runner.js';

const base = Date.UTC(2026, 10, 20, 12, 0, 0) * 1000;
const good = (seq: number, price: string, dt = 0): RawTick => ({
  symbol: 'SOLUSDT',
  seq,
  price,
  size: '1.5',
  side: 'buy',
  eventTimeMicros: base + seq * 1000 + dt,
});

let feed: XmppClient;
let alice: XmppClient;
beforeAll(async () => {
  feed = await connect('feed', 'pipeline-test');
  alice = await connect('alice', 'pipeline-test');
});
afterAll(async () => {
  await feed?.stop();
  await alice?.stop();
});

describe('feed core → pubsub → subscriber', () => {
  it('delivers good ticks exactly and never lets a bad tick reach the node', async () => {
    const { ticks, sub } = await collectTicks(alice, ['SOLUSDT']);
    const bars: Bar[] = [];
    const barSub = createItemSubscriber({
      client: alice,
      service: desk().pubsubHost,
      nodes: [barsNode('SOLUSDT')],
      decode: decodeBar,
      onItem: (b) => bars.push(b),
      log,
    });
    await barSub.start();
    const bad: RawTick[] = [
      { ...good(100, '1'), price: 'NaN' },
      { ...good(101, '1'), price: '-3.5' },
      { ...good(102, '1'), price: 'abc' },
      { ...good(103, '1'), price: '0' },
      { ...good(104, '1'), price: 'Infinity' },
      { ...good(105, '1'), size: '-1' },
      { ...good(106, '1'), symbol: 'NOPE' },
      { ...good(107, '1'), eventTimeMicros: Date.UTC(1970, 0, 2) * 1000 },
      { ...good(108, '1'), eventTimeMicros: Date.now() * 1000 + 3_600_000_000 },
      { ...good(109, '1'), eventTimeMicros: Number.NaN },
    ];
    const input = [
      good(1, '150.001'),
      ...bad.slice(0, 5),
      good(2, '0.3'),
      ...bad.slice(5),
      good(3, '150.1'),
      good(3, '999'),
      good(1_500, '151'),
    ];
    const metrics = createFeedMetrics();
    const pubsub = createPubsub(feed, desk().pubsubHost);
    const pipeline = createFeed({ source: listSource(input), pubsub, instruments: DEFAULT_INSTRUMENTS, log, metrics });
    await pipeline.start();
    await pipeline.finished();
    await waitFor(() => ticks.length >= 4, 10_000, 'ticks');
    await new Promise((r) => setTimeout(r, 300));
    expect(ticks.map((t) => [t.seq, t.price, t.size])).toEqual([
      [1, '150.001', '1.5'],
      [2, '0.3', '1.5'],
      [3, '150.1', '1.5'],
      [1500, '151', '1.5'],
    ]);
    const rejected = await metrics.rejected.get();
    const byReason = Object.fromEntries(
      rejected.values.map((v): [string, number] => [String(v.labels.reason), v.value]),
    );
    expect(byReason).toEqual({
      'price-not-decimal': 3,
      'price-not-positive': 2,
      'size-not-decimal': 1,
      'unknown-symbol': 1,
      'timestamp-out-of-range': 2,
      'timestamp-invalid': 1,
      duplicate: 1,
    });
    expect((await metrics.gaps.get()).values[0]?.value).toBe(1496);
    await waitFor(() => bars.length >= 2, 10_000, 'bars');
    // seq 1..3 fall in one event-time second, seq 1500 in the next.
    expect(bars).toEqual([
      {
        symbol: 'SOLUSDT',
        interval: '1s',
        start: '2026-11-20T12:00:00.000000Z',
        open: '150.001',
        high: '150.1',
        low: '0.3',
        close: '150.1',
        volume: '4.5',
        trades: 3,
      },
      {
        symbol: 'SOLUSDT',
        interval: '1s',
        start: '2026-11-20T12:00:01.000000Z',
        open: '151',
        high: '151',
        low: '151',
        close: '151',
        volume: '1.5',
        trades: 1,
      },
    ]);
    await sub.stop();
    await barSub.stop();
  });
});
