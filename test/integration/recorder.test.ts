import { Decimal } from 'decimal.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReplayFeed } from '@tickdesk/feed-replay';
import { startRecorderService } from '@tickdesk/recorder';
import { formatMicros, ticksNode, type BarInterval } from '@tickdesk/schemas';
import { createPubsub } from '@tickdesk/xmpp';
import { SAMPLE, sampleTrades } from './sample.js';
import { runFeed } from './feed-runner.js';
import { connect, desk, log, waitFor } from './helpers.js';

const INTERVAL_US: Record<BarInterval, number> = { '1s': 1e6, '1m': 60e6, '1h': 3600e6 };
const plain = (d: Decimal) =>
  d
    .toFixed()
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');

/** OHLCV computed here from the CSV, independently of the recorder's code. */
function expectedCandles(interval: BarInterval) {
  const out = new Map<
    number,
    { open: Decimal; high: Decimal; low: Decimal; close: Decimal; volume: Decimal; trades: number }
  >();
  for (const t of sampleTrades()) {
    const start = Math.floor(t.eventMicros / INTERVAL_US[interval]) * INTERVAL_US[interval];
    const p = new Decimal(t.price);
    const c = out.get(start);
    if (!c) out.set(start, { open: p, high: p, low: p, close: p, volume: new Decimal(t.size), trades: 1 });
    else {
      c.high = Decimal.max(c.high, p);
      c.low = Decimal.min(c.low, p);
      c.close = p;
      c.volume = c.volume.plus(t.size);
      c.trades += 1;
    }
  }
  return [...out]
    .sort(([a], [b]) => a - b)
    .map(([start, c]) => ({
      symbol: 'BTCUSDT',
      interval,
      start: formatMicros(start),
      open: plain(c.open),
      high: plain(c.high),
      low: plain(c.low),
      close: plain(c.close),
      volume: plain(c.volume),
      trades: c.trades,
    }));
}

// A database of its own, so ticks other tests published do not mix in.
let redis: Redis;
let service: Awaited<ReturnType<typeof startRecorderService>>;
let recorderClient: Awaited<ReturnType<typeof connect>>;
beforeAll(async () => {
  redis = new Redis(`${desk().redisUrl}/5`);
  await redis.flushdb();
  // The recorder reads the node's recent items back when it starts: none from earlier files.
  const feed = await connect('feed', 'recorder-test-purge');
  await createPubsub(feed, desk().pubsubHost).purge(ticksNode('BTCUSDT'));
  await feed.stop();
  recorderClient = await connect('recorder', 'recorder-test');
  service = await startRecorderService({
    client: recorderClient,
    redis,
    log,
    service: desk().pubsubHost,
    symbols: ['BTCUSDT'],
  });
});
afterAll(async () => {
  await service?.stop();
  await recorderClient?.stop();
  redis?.disconnect();
});

describe('recorder through Prosody', () => {
  it('keeps candles equal to an independent computation from the replayed trades', async () => {
    const trades = sampleTrades();
    const run = await runFeed(createReplayFeed({ path: SAMPLE, speed: 'max', progress: false }));
    await run.finished();
    await waitFor(() => service.recorder.stats().ticks >= trades.length, 20_000, 'recorder ingest');
    await service.recorder.flush();
    const from = trades[0]!.eventMicros - 3600e6;
    const to = trades.at(-1)!.eventMicros + 3600e6;
    for (const interval of ['1s', '1m', '1h'] as const) {
      const expected = expectedCandles(interval);
      const got = await service.recorder.store.candles('BTCUSDT', interval, from, to, 10_000);
      expect(got.length, interval).toBe(expected.length);
      expect(got, interval).toEqual(expected);
    }
    const last = trades.at(-1)!;
    expect(await service.recorder.store.lastPrice('BTCUSDT')).toMatchObject({
      price: plain(new Decimal(last.price)),
      seq: last.seq,
    });
  });
});
