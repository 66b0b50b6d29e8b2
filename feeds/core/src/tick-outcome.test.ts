import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Pubsub } from '@tickdesk/xmpp';
import { createFeed } from './feed.js';
import { A, idle, instruments } from './feed.test-util.js';
import { createFeedMetrics } from './metrics.js';
import type { TickOutcome } from './source.js';

/** A pubsub whose publishes wait until the test answers or fails them. */
function heldPubsub() {
  const held: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const pubsub = {
    publish: () => new Promise<void>((resolve, reject) => held.push({ resolve, reject })),
  } as unknown as Pubsub;
  return { pubsub, held };
}

describe('tick outcomes: a source learns what became of each tick it handed over', () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.UTC(2026, 11, 6) }));
  afterEach(() => vi.useRealTimers());

  const setup = (config = {}) => {
    const { pubsub, held } = heldPubsub();
    const feed = createFeed({
      source: idle,
      pubsub,
      instruments,
      log: pino({ level: 'silent' }),
      metrics: createFeedMetrics(),
      config: { batchMs: 10, adaptiveBatch: false, eagerMaxRate: 0, maxBatch: 50, bars: false, ...config },
      now: () => Date.now() * 1000,
    });
    const outcomes: Array<[number, TickOutcome]> = [];
    let seq = 0;
    const push = (price = '1.5', symbol = A) => {
      const n = ++seq;
      feed.sink.push({
        symbol,
        seq: n,
        price,
        size: '0',
        eventTimeMicros: Date.now() * 1000,
        settled: (o) => void outcomes.push([n, o]),
      });
    };
    return { feed, held, outcomes, push };
  };

  it('says published only once the pubsub service answered the publish of the tick’s item', async () => {
    const { held, outcomes, push } = setup();
    push();
    push();
    await vi.advanceTimersByTimeAsync(20);
    expect(held).toHaveLength(1);
    expect(outcomes).toEqual([]);
    held[0]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(outcomes).toEqual([
      [1, 'published'],
      [2, 'published'],
    ]);
  });

  it('says failed when the publish of its item failed, and refused at once for an invalid tick', async () => {
    const { held, outcomes, push } = setup();
    push('abc');
    expect(outcomes).toEqual([[1, 'refused']]);
    push();
    await vi.advanceTimersByTimeAsync(20);
    held[0]!.reject(new Error('timeout'));
    await vi.advanceTimersByTimeAsync(0);
    expect(outcomes).toEqual([
      [1, 'refused'],
      [2, 'failed'],
    ]);
  });

  it('says dropped for a tick conflated away while publishing is behind', async () => {
    const { outcomes, push } = setup({ maxPendingPerInstrument: 2, maxInFlight: 1 });
    push();
    await vi.advanceTimersByTimeAsync(20);
    push();
    push();
    push();
    expect(outcomes).toEqual([[2, 'dropped']]);
  });
});
