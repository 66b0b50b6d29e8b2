import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeTickRows, ticksNode } from '@tickdesk/schemas';
import type { Pubsub } from '@tickdesk/xmpp';
import { createFeed } from './feed.js';
import { A, B, idle, instruments, tickPusher } from './feed.test-util.js';
import { createFeedMetrics } from './metrics.js';
import type { FeedSource } from './source.js';

/** A pubsub that records tick items and answers each publish after `rttMs`. */
function fakePubsub(rttMs: number) {
  const items: Array<{ node: string; count: number; at: number }> = [];
  const pubsub = {
    publish: (node: string, payload: { attrs: Record<string, string> }) => {
      if (node.startsWith('ticks/')) items.push({ node, count: Number(payload.attrs.count), at: Date.now() });
      return new Promise((r) => setTimeout(r, rttMs));
    },
  } as unknown as Pubsub;
  return { pubsub, items };
}

describe('feed batching of instruments above eagerMaxRate', () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.UTC(2026, 10, 21) }));
  afterEach(() => vi.useRealTimers());

  const setup = (rttMs = 1) => {
    const { pubsub, items } = fakePubsub(rttMs);
    const feed = createFeed({
      source: idle,
      pubsub,
      instruments,
      log: pino({ level: 'silent' }),
      metrics: createFeedMetrics(),
      config: { batchMs: 10, maxBatch: 50, bars: false, eagerMaxRate: 0 },
      now: () => Date.now() * 1000,
    });
    const push = tickPusher(feed);
    return { feed, items, push };
  };

  it('holds a partial batch for batchMs, then publishes it as one item', async () => {
    const { items, push } = setup();
    push(A, 3);
    await vi.advanceTimersByTimeAsync(9);
    expect(items).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(items.map((i) => i.count)).toEqual([3]);
  });

  it('does not let a reply flush young partial batches: items stay as large as batchMs allows', async () => {
    const { items, push } = setup(2);
    // Ticks arrive every millisecond on two instruments for 100 ms.
    for (let ms = 0; ms < 100; ms++) {
      push(A, 1);
      push(B, 1);
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(20);
    const ticks = items.reduce((n, i) => n + i.count, 0);
    expect(ticks).toBe(200);
    // 10 ms of ticks per item: about 10 items per instrument, not one per reply.
    expect(items.length).toBeLessThanOrEqual(24);
    expect(Math.min(...items.slice(0, -2).map((i) => i.count))).toBeGreaterThanOrEqual(9);
  });

  it('publishes a full batch at once, without waiting for batchMs', async () => {
    const { items, push } = setup();
    push(A, 50);
    await vi.advanceTimersByTimeAsync(0);
    expect(items.map((i) => i.count)).toEqual([50]);
  });
});

describe('feed while its XMPP session is down', () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.UTC(2026, 10, 21) }));
  afterEach(() => vi.useRealTimers());

  it('keeps the ticks until the session is back instead of losing them in failed publishes', async () => {
    let up = true;
    const seqs: number[] = [];
    const pubsub = {
      publish: (node: string, payload: { attrs: Record<string, string> }) => {
        // As the XMPP client answers a stanza written while it reconnects (TICKDESK_XMPP_NOT_CONNECTED).
        if (!up)
          return Promise.reject(Object.assign(new Error('not connected'), { code: 'TICKDESK_XMPP_NOT_CONNECTED' }));
        const rows = decodeTickRows(payload as never);
        if (node.startsWith('ticks/') && rows.ok) seqs.push(...rows.value.rows.map((r) => r.seq));
        return Promise.resolve();
      },
    } as unknown as Pubsub;
    const feed = createFeed({
      source: idle,
      pubsub,
      instruments,
      log: pino({ level: 'silent' }),
      metrics: createFeedMetrics(),
      config: { batchMs: 10, maxBatch: 50, bars: false, adaptiveBatch: false },
      now: () => Date.now() * 1000,
      connected: () => up,
    });
    let seq = 0;
    const push = (n: number) => {
      for (let i = 0; i < n; i++)
        feed.sink.push({ symbol: A, seq: ++seq, price: '1.5', size: '1', eventTimeMicros: Date.now() * 1000 });
    };
    push(3);
    await vi.advanceTimersByTimeAsync(20);
    up = false; // its node died: the client reconnects to the next one
    push(5);
    await vi.advanceTimersByTimeAsync(500);
    up = true;
    push(1);
    await vi.advanceTimersByTimeAsync(20);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('adaptive batching', () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.UTC(2026, 10, 21) }));
  afterEach(() => vi.useRealTimers());

  /** Two instruments at 1,000 ticks/s each for `ms`, every node with `subscribers`; the sizes of the items after the first second. */
  async function itemSizes(subscribers: number, adaptiveBatch = true, ms = 3000) {
    const { pubsub, items } = fakePubsub(1);
    const polled: string[] = [];
    Object.assign(pubsub, {
      subscriptions: async (node: string) => {
        polled.push(node);
        return Array.from({ length: subscribers }, (_, i) => ({
          jid: `u${i}@desk.localhost`,
          subscription: 'subscribed',
        }));
      },
    });
    // 200 items/s × (400 µs + 40 × 17 µs) = 0.22 core at 10 ms: under a 0.1 share, 40 subscribers need 22 ms.
    const source: FeedSource = {
      name: 'test',
      state: () => 'running',
      run: (_sink, signal) => new Promise((r) => signal.addEventListener('abort', () => r())),
    };
    const feed = createFeed({
      source,
      pubsub,
      instruments,
      log: pino({ level: 'silent' }),
      metrics: createFeedMetrics(),
      config: {
        batchMs: 10,
        maxBatch: 50,
        bars: false,
        itemCostMicros: 400,
        notificationCostMicros: 17,
        serverShare: 0.1,
        adaptiveBatch,
        eagerMaxRate: 0,
      },
      now: () => Date.now() * 1000,
    });
    await feed.start();
    let seq = 0;
    // Five ticks of each every 5 ms: fewer timer steps than one every millisecond.
    for (let t = 0; t < ms; t += 5) {
      for (const symbol of [A, B])
        for (let k = 0; k < 5; k++)
          feed.sink.push({ symbol, seq: ++seq, price: '1.5', size: '1', eventTimeMicros: Date.now() * 1000 });
      await vi.advanceTimersByTimeAsync(5);
    }
    const waited = feed.stats().batchMs;
    // Let the last partial items go out (the fake clock stops when the test ends).
    await vi.advanceTimersByTimeAsync(50);
    const late = items.filter((i) => i.at >= Date.UTC(2026, 10, 21) + 1500).slice(0, -2);
    return { sizes: late.map((i) => i.count), total: items.reduce((n, i) => n + i.count, 0), polled, waited };
  }

  it('keeps batchMs for a lone subscriber', async () => {
    const { sizes, total, waited } = await itemSizes(1);
    expect(total).toBe(6000);
    expect(waited).toBe(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(15);
  });

  it('makes items longer once it has counted 40 subscribers on each node, within maxBatchMs', async () => {
    const { sizes, total, polled, waited } = await itemSizes(40);
    expect(total).toBe(6000);
    expect(polled).toContain(ticksNode(A));
    expect(waited).toBe(22);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(25);
  });

  it('does not ask for subscribers and keeps batchMs when adaptive batching is off', async () => {
    const { sizes, polled, waited } = await itemSizes(40, false);
    expect(polled).toEqual([]);
    expect(waited).toBe(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(15);
  });
});
