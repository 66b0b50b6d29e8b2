import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeTickRows } from '@tickdesk/schemas';
import type { Pubsub } from '@tickdesk/xmpp';
import { createFeed, type FeedConfig } from './feed.js';
import { A, B, idle, instruments, tickPusher } from './feed.test-util.js';
import { createFeedMetrics } from './metrics.js';

/** A pubsub whose tick publishes stay outstanding until the test answers them (`reply(symbol)`, oldest first). */
function repliedByHand() {
  const items: Array<{ symbol: string; seqs: number[]; at: number }> = [];
  const outstanding: Array<{ symbol: string; answer: () => void }> = [];
  const pubsub = {
    publish: (node: string, payload: never) => {
      if (!node.startsWith('ticks/')) return Promise.resolve();
      const rows = decodeTickRows(payload);
      if (!rows.ok) throw new Error(`undecodable item on ${node}`);
      const symbol = rows.value.symbol;
      items.push({ symbol, seqs: rows.value.rows.map((r) => r.seq), at: Date.now() });
      return new Promise<void>((answer) => outstanding.push({ symbol, answer }));
    },
  } as unknown as Pubsub;
  const reply = async (symbol: string) => {
    const k = outstanding.findIndex((o) => o.symbol === symbol);
    if (k < 0) throw new Error(`no publish of ${symbol} outstanding`);
    outstanding.splice(k, 1)[0]!.answer();
    await vi.advanceTimersByTimeAsync(0);
  };
  return { pubsub, items, reply, outstanding: () => outstanding.map((o) => o.symbol) };
}

describe('publishing at once while nothing is in flight', () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.UTC(2026, 11, 6) }));
  afterEach(() => vi.useRealTimers());

  const setup = (config: Partial<FeedConfig> = {}) => {
    const { pubsub, items, reply, outstanding } = repliedByHand();
    const feed = createFeed({
      source: idle,
      pubsub,
      instruments,
      log: pino({ level: 'silent' }),
      metrics: createFeedMetrics(),
      config: { batchMs: 10, maxBatch: 50, bars: false, ...config },
      now: () => Date.now() * 1000,
    });
    return { feed, items, reply, outstanding, push: tickPusher(feed) };
  };

  it('publishes a lone tick at once when none of its instrument’s items is in flight', async () => {
    const { items, push } = setup();
    push(A, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(items.map((i) => i.seqs)).toEqual([[1]]);
  });

  it('collects the ticks that arrive while an item is outstanding and publishes them as one item on its reply', async () => {
    const { items, reply, push } = setup();
    push(A, 1);
    await vi.advanceTimersByTimeAsync(0);
    push(A, 3);
    await vi.advanceTimersByTimeAsync(4);
    expect(items.map((i) => i.seqs)).toEqual([[1]]);
    await reply(A);
    expect(items.map((i) => i.seqs)).toEqual([[1], [2, 3, 4]]);
    expect(items[1]!.at - items[0]!.at).toBe(4);
  });

  it('waits for a reply no longer than batchMs: a stalled server delays ticks no more than batching did', async () => {
    const { items, outstanding, push } = setup();
    push(A, 1);
    await vi.advanceTimersByTimeAsync(0);
    push(A, 2);
    await vi.advanceTimersByTimeAsync(9);
    expect(items.map((i) => i.seqs)).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(items.map((i) => i.seqs)).toEqual([[1], [2, 3]]);
    expect(outstanding()).toEqual([A, A]);
  });

  it('does not hold one instrument’s tick behind another instrument’s outstanding item', async () => {
    const { items, outstanding, push } = setup();
    push(A, 1);
    await vi.advanceTimersByTimeAsync(0);
    push(B, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(items.map((i) => i.symbol)).toEqual([A, B]);
    expect(outstanding()).toEqual([A, B]);
  });

  it('still splits at maxBatch and sends full items without waiting for the reply, in seq order', async () => {
    const { items, reply, push } = setup();
    push(A, 1);
    await vi.advanceTimersByTimeAsync(0);
    push(A, 120);
    await vi.advanceTimersByTimeAsync(0);
    // Two full items go at once; the last 20 ticks wait for a reply.
    expect(items.map((i) => i.seqs.length)).toEqual([1, 50, 50]);
    await reply(A);
    expect(items.map((i) => i.seqs.length)).toEqual([1, 50, 50]);
    await reply(A);
    await reply(A);
    expect(items.map((i) => i.seqs.length)).toEqual([1, 50, 50, 20]);
    expect(items.flatMap((i) => i.seqs)).toEqual(Array.from({ length: 121 }, (_, k) => k + 1));
  });

  it('keeps batching for batchMs an instrument that ticked faster than eagerMaxRate over the last second', async () => {
    const { feed, items, reply, outstanding, push } = setup({ eagerMaxRate: 100, adaptiveBatch: false });
    await feed.start();
    // 200 ticks/s of A for a second, each item answered at once.
    for (let ms = 0; ms < 1000; ms += 5) {
      push(A, 1);
      await vi.advanceTimersByTimeAsync(0);
      while (outstanding().length > 0) await reply(outstanding()[0]!);
      await vi.advanceTimersByTimeAsync(5);
    }
    // The feed's 250 ms timer has re-read the rates: A is now loaded, B (silent) is not.
    const before = items.length;
    push(A, 1);
    push(B, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(items.slice(before).map((i) => i.symbol)).toEqual([B]);
    await vi.advanceTimersByTimeAsync(10);
    expect(items.slice(before).map((i) => i.symbol)).toEqual([B, A]);
  });
});
