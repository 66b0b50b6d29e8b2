import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeBar, decodeTickRows, DEFAULT_INSTRUMENTS, type SensorInstrument } from '@tickdesk/schemas';
import type { Element, Pubsub } from '@tickdesk/xmpp';
import { createFeed } from './feed.js';
import { idle } from './feed.test-util.js';
import { createFeedMetrics } from './metrics.js';

const freezer: SensorInstrument = {
  kind: 'sensor',
  symbol: 'IOT.X',
  name: 'Freezer',
  unit: '°C',
  decimals: 2,
  min: '-40',
  max: '85',
};
const market = DEFAULT_INSTRUMENTS[0]!;
const kindOf = (el: Element): unknown => (el.attrs as Record<string, unknown>).kind;

describe('feed of a sensor instrument', () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.UTC(2026, 11, 6, 15) }));
  afterEach(() => vi.useRealTimers());

  it('publishes negative and zero values exactly, its ticks and bars marked kind="sensor", market ones not', async () => {
    const published: Array<{ node: string; payload: Element }> = [];
    const pubsub = {
      publish: (node: string, payload: Element) => {
        published.push({ node, payload });
        return Promise.resolve(undefined);
      },
    } as unknown as Pubsub;
    const feed = createFeed({
      source: idle,
      pubsub,
      instruments: [market, freezer],
      log: pino({ level: 'silent' }),
      metrics: createFeedMetrics(),
      config: { batchMs: 10, maxBatch: 50, adaptiveBatch: false },
      now: () => Date.now() * 1000,
    });
    const at = Date.now() * 1000;
    ['-18.5', '0', '-19.25', '-0.5'].forEach((price, i) =>
      feed.sink.push({ symbol: 'IOT.X', seq: i + 1, price, size: '0', eventTimeMicros: at + i }),
    );
    feed.sink.push({ symbol: market.symbol, seq: 1, price: '65000', size: '1', eventTimeMicros: at });
    await vi.advanceTimersByTimeAsync(20);
    await feed.flush();

    const ticks = published.filter((p) => p.node === 'ticks/IOT.X').map((p) => decodeTickRows(p.payload));
    expect(ticks.every((r) => r.ok && r.value.kind === 'sensor')).toBe(true);
    expect(ticks.flatMap((r) => (r.ok ? r.value.rows.map((x) => x.price) : []))).toEqual([
      '-18.5',
      '0',
      '-19.25',
      '-0.5',
    ]);
    const bars = published.filter((p) => p.node === 'bars/IOT.X');
    expect(bars.map((p) => kindOf(p.payload))).toEqual(['sensor']);
    expect(decodeBar(bars[0]!.payload)).toMatchObject({
      ok: true,
      value: { open: '-18.5', high: '0', low: '-19.25', close: '-0.5', trades: 4 },
    });
    const marketItems = published.filter((p) => p.node.endsWith(`/${market.symbol}`));
    expect(marketItems.length).toBe(2);
    expect(marketItems.map((p) => kindOf(p.payload))).toEqual([undefined, undefined]);
  });
});
