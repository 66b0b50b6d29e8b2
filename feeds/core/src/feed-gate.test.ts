import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeTickRows } from '@tickdesk/schemas';
import type { Element, Pubsub } from '@tickdesk/xmpp';
import { createFeed } from './feed.js';
import { A, B, idle, instruments, tickPusher } from './feed.test-util.js';
import { createFeedMetrics } from './metrics.js';
import type { PublishGate } from './publisher-leases.js';

describe('feed behind publisher leases (one active publisher per instrument)', () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.UTC(2026, 10, 21) }));
  afterEach(() => vi.useRealTimers());

  function setup() {
    const items: Array<{ node: string; seqs: number[]; lease?: number }> = [];
    const pubsub = {
      publish: (node: string, payload: Element) => {
        const res = decodeTickRows(payload);
        if (res.ok) items.push({ node, seqs: res.value.rows.map((r) => r.seq), lease: res.value.lease });
        return Promise.resolve(undefined);
      },
    } as unknown as Pubsub;
    const tokens = new Map<string, number | undefined>([
      [A, 7],
      [B, undefined],
    ]);
    const floor = new Map([[A, 100]]);
    const offsets = new Map<string, number>();
    const gate: PublishGate = {
      token: (s) => tokens.get(s),
      seq: (s, seq) => {
        if (!offsets.has(s)) offsets.set(s, seq > (floor.get(s) ?? 0) ? 0 : (floor.get(s) ?? 0) + 1 - seq);
        return seq + offsets.get(s)!;
      },
    };
    const metrics = createFeedMetrics();
    const feed = createFeed({
      source: idle,
      pubsub,
      instruments,
      log: pino({ level: 'silent' }),
      metrics,
      // Batched (no eager instrument): the leases are checked on items that waited.
      config: { batchMs: 10, maxBatch: 50, bars: false, adaptiveBatch: false, eagerMaxRate: 0 },
      now: () => Date.now() * 1000,
      gate,
    });
    const push = tickPusher(feed);
    return { feed, items, push, tokens, metrics };
  }

  it("publishes only the instruments it holds, stamps the token, and continues seq above the node's last one", async () => {
    const { items, push, metrics } = setup();
    push(A, 3);
    push(B, 2);
    await vi.advanceTimersByTimeAsync(20);
    expect(items).toEqual([{ node: `ticks/${A}`, seqs: [101, 102, 103], lease: 7 }]);
    expect((await metrics.unleased.get()).values[0]?.value).toBe(2);
  });

  it('drops waiting items once the lease is gone, before they are published', async () => {
    const { items, push, tokens } = setup();
    push(A, 3);
    tokens.set(A, undefined);
    await vi.advanceTimersByTimeAsync(20);
    expect(items).toEqual([]);
  });
});
