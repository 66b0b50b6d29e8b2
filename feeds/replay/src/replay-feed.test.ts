import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectingSink } from '../../../test/support/collecting-sink.js';
import { createReplayFeed } from './replay-feed.js';
import { SAMPLE_FILE } from './sample.js';

// The first rows of data/binance-futures-btcusdt-trades.csv (this package's sample), byte for byte.
const REAL_ROWS = `exchange,symbol,timestamp,local_timestamp,id,side,price,amount
binance-futures,BTCUSDT,1582329602111000,1582329602418379,42377944,buy,9682,0.132
binance-futures,BTCUSDT,1582329602116000,1582329602418420,42377945,buy,9682,0.412
binance-futures,BTCUSDT,1582329602150000,1582329602421528,42377946,buy,9682,0.296
binance-futures,BTCUSDT,1582329602150000,1582329602421536,42377947,buy,9682.19,0.01
binance-futures,BTCUSDT,1582329602150000,1582329602421551,42377948,buy,9682.48,0.18
`;
const REAL_FILE = SAMPLE_FILE;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tickdesk-replay-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('createReplayFeed, CSV', () => {
  it('passes the real file’s first rows through with exact strings', async () => {
    const feed = createReplayFeed({ path: await file('real.csv', REAL_ROWS), speed: 'max' });
    const sink = collectingSink();
    await feed.run(sink, new AbortController().signal);
    expect(sink.ticks.map((t) => t.price)).toEqual(['9682', '9682', '9682', '9682.19', '9682.48']);
    expect(sink.ticks[0]).toEqual({
      symbol: 'BTCUSDT',
      seq: 42377944,
      price: '9682',
      size: '0.132',
      side: 'buy',
      eventTimeMicros: 1582329602111000,
    });
    expect(sink.events).toEqual([]);
    expect(feed.state()).toBe('stopped');
    expect(feed.stats()).toEqual({ lines: 6, ticks: 5, malformed: 0 });
  });

  it('reads columns by header name in any order, with quotes, CRLF and a symbol map', async () => {
    const text = 'amount,"price",side,timestamp,symbol\r\n"0.500",9682.10,SELL,1582329602111000,btc\r\n';
    const feed = createReplayFeed({
      path: await file('reordered.csv', text),
      speed: 'max',
      symbolMap: { btc: 'BTCUSDT' },
    });
    const sink = collectingSink();
    await feed.run(sink, new AbortController().signal);
    expect(sink.ticks).toEqual([
      { symbol: 'BTCUSDT', price: '9682.1', size: '0.5', side: 'sell', eventTimeMicros: 1582329602111000 },
    ]);
  });

  it('reports malformed lines with their line number and replays the rest', async () => {
    const lines = REAL_ROWS.trim().split('\n');
    const text = [
      lines[0],
      lines[1],
      'binance-futures,BTCUSDT,1582329602116000,42377945,buy,9682,0.412', // a column short
      'binance-futures,BTCUSDT,1582329602116000,1,42377945,buy,NaN,0.412',
      'binance-futures,BTCUSDT,yesterday,1,42377945,buy,9682,0.412',
      '',
      lines[4],
      'binance-futures,BTCUSDT,1582329602150000,1,42377949,buy,-5,0.1',
    ].join('\n');
    const feed = createReplayFeed({ path: await file('bad.csv', text), speed: 'max' });
    const sink = collectingSink();
    await feed.run(sink, new AbortController().signal);
    expect(sink.ticks.map((t) => t.seq)).toEqual([42377944, 42377947, 42377949]);
    // A negative price is number-like: the core refuses it with its own reason.
    expect(sink.ticks[2]!.price).toBe('-5');
    const split = text.split('\n');
    expect(sink.events).toEqual([
      { kind: 'malformed', reason: 'line 3: wrong column count (expected 8)', raw: split[2] },
      { kind: 'malformed', reason: 'line 4: non-numeric price', raw: split[3] },
      { kind: 'malformed', reason: 'line 5: bad timestamp', raw: split[4] },
    ]);
    expect(feed.stats().malformed).toBe(3);
  });

  it('fails with a coded error on a header without the needed columns or a missing file', async () => {
    const feed = createReplayFeed({ path: await file('nohead.csv', 'a,b,c\n1,2,3\n'), speed: 'max' });
    await expect(feed.run(collectingSink(), new AbortController().signal)).rejects.toMatchObject({
      code: 'TICKDESK_REPLAY_BAD_HEADER',
    });
    expect(feed.state()).toBe('faulted');
    const missing = createReplayFeed({ path: join(dir, 'nope.csv'), speed: 'max' });
    await expect(missing.run(collectingSink(), new AbortController().signal)).rejects.toMatchObject({
      code: 'TICKDESK_REPLAY_UNREADABLE',
    });
    const folder = createReplayFeed({ path: dir, format: 'csv', speed: 'max' });
    await expect(folder.run(collectingSink(), new AbortController().signal)).rejects.toMatchObject({
      code: 'TICKDESK_REPLAY_UNREADABLE',
    });
    expect(() => createReplayFeed({ path: 'x.parquet', speed: 1 })).toThrow(/format/);
    expect(() => createReplayFeed({ path: 'x.csv', speed: 0 })).toThrow(/speed/);
  });

  it('replays the whole shipped sample: 3,791 trades, no gaps, nothing malformed', async () => {
    const feed = createReplayFeed({ path: REAL_FILE, speed: 'max' });
    const sink = collectingSink();
    await feed.run(sink, new AbortController().signal);
    expect(sink.events).toEqual([]);
    expect(sink.ticks).toHaveLength(3791);
    expect(sink.ticks.every((t, i) => t.seq === 42377944 + i)).toBe(true);
    expect(sink.ticks.filter((t) => t.side === 'buy')).toHaveLength(2143);
    expect(sink.ticks.at(-1)!.eventTimeMicros).toBe(1582331956492000);
  });
});

describe('createReplayFeed, NDJSON', () => {
  it('keeps the literal text of JSON numbers and accepts strings, ids and XEP-0082 times', async () => {
    const text = [
      '{"symbol":"BTCUSDT","id":7,"price":9682.19,"amount":0.010,"side":"sell","timestamp":1582329602150000}',
      '{"symbol":"ETHUSDT","seq":"8","price":"0.1000000000000000055511","size":12345678901234567.25,"time":"2020-02-22T00:00:02.111Z"}',
    ].join('\n');
    const feed = createReplayFeed({ path: await file('ticks.ndjson', text), speed: 'max' });
    const sink = collectingSink();
    await feed.run(sink, new AbortController().signal);
    expect(sink.events).toEqual([]);
    expect(sink.ticks).toEqual([
      { symbol: 'BTCUSDT', seq: 7, price: '9682.19', size: '0.01', side: 'sell', eventTimeMicros: 1582329602150000 },
      {
        symbol: 'ETHUSDT',
        seq: 8,
        price: '0.1000000000000000055511',
        size: '12345678901234567.25',
        eventTimeMicros: 1582329602111000,
      },
    ]);
  });

  it('reports bad JSON and wrong shapes by line and continues', async () => {
    const good = '{"symbol":"BTCUSDT","price":1.5,"size":2,"timestamp":1}';
    const text = [
      good,
      '{"symbol":"BTCUSDT","price":1.5,',
      '[1,2]',
      '{"symbol":"X","price":true,"size":1,"timestamp":1}',
      good,
    ].join('\n');
    const feed = createReplayFeed({ path: await file('bad.jsonl', text), speed: 'max' });
    const sink = collectingSink();
    await feed.run(sink, new AbortController().signal);
    expect(sink.ticks).toHaveLength(2);
    expect(sink.events.map((e) => (e.kind === 'malformed' ? e.reason : e))).toEqual([
      'line 2: bad JSON',
      'line 3: not a JSON object',
      'line 4: non-numeric price',
    ]);
    expect(sink.events[1]).toMatchObject({ raw: '[1,2]' });
  });
});

describe('createReplayFeed, pacing', () => {
  const timedCsv = (n: number, stepMicros: number): string =>
    [
      'symbol,timestamp,price,amount',
      ...Array.from({ length: n }, (_, i) => `BTCUSDT,${1_000_000 + i * stepMicros},100,1`),
    ].join('\n');

  it("at speed 'max' waits for drain() whenever push returns false", async () => {
    let release!: () => void;
    let drains = 0;
    const sink = collectingSink(() => false);
    sink.drain = () => (drains++, new Promise<void>((r) => (release = r)));
    const feed = createReplayFeed({ path: await file('bp.csv', timedCsv(3, 0)), speed: 'max' });
    const done = feed.run(sink, new AbortController().signal);
    await new Promise((r) => setTimeout(r, 30));
    expect([sink.ticks.length, drains]).toEqual([1, 1]);
    release();
    await new Promise((r) => setTimeout(r, 30));
    expect([sink.ticks.length, drains]).toEqual([2, 2]);
    release();
    await new Promise((r) => setTimeout(r, 10));
    release();
    await done;
    expect(sink.ticks).toHaveLength(3);
  });

  it('at speed N takes event-time span / N', async () => {
    // 11 ticks 100 ms apart: 1 s of event time, 100 ms at speed 10.
    const path = await file('timed.csv', timedCsv(11, 100_000));
    const started = performance.now();
    const seen: number[] = [];
    await createReplayFeed({ path, speed: 10 }).run(
      collectingSink(() => (seen.push(performance.now() - started), true)),
      new AbortController().signal,
    );
    expect(seen.at(-1)!).toBeGreaterThanOrEqual(95);
    expect(seen.at(-1)!).toBeLessThan(400);
    expect(seen[5]!).toBeGreaterThanOrEqual(45);
  });

  it('stops promptly on abort during a long wait', async () => {
    const feed = createReplayFeed({ path: await file('slow.csv', timedCsv(3, 60_000_000)), speed: 1 });
    const sink = collectingSink();
    const ac = new AbortController();
    const done = feed.run(sink, ac.signal);
    await new Promise((r) => setTimeout(r, 30));
    const started = performance.now();
    ac.abort();
    await done;
    expect(performance.now() - started).toBeLessThan(100);
    expect(sink.ticks).toHaveLength(1);
    expect(feed.state()).toBe('stopped');
  });
});
