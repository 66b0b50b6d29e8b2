import { describe, expect, it } from 'vitest';
import { chooseBatchMs, itemsPerSecond, serverCores, type BatchPolicyOptions, type NodeLoad } from './batch-policy.js';
import { DEFAULT_FEED_CONFIG } from './feed.js';

const opts: BatchPolicyOptions = {
  minMs: 10,
  maxMs: 25,
  maxBatch: 200,
  itemCostMicros: 400,
  notificationCostMicros: 17,
  serverShare: 0.4,
};
/** 10,000 ticks/s over 8 instruments, `subscribers` on each node. */
const desk = (subscribers: number | undefined, rate = 10_000): NodeLoad[] =>
  Array.from({ length: 8 }, () => ({ rate: rate / 8, subscribers }));

describe('itemsPerSecond', () => {
  it('is one item per tick while ticks are further apart than the wait', () => {
    expect(itemsPerSecond(50, 10, 200)).toBe(50);
  });
  it('is one item per wait when ticks are denser', () => {
    expect(itemsPerSecond(1250, 10, 200)).toBe(100);
    expect(itemsPerSecond(1250, 25, 200)).toBe(40);
  });
  it('is one item per maxBatch ticks once items fill before the wait ends', () => {
    expect(itemsPerSecond(100_000, 25, 200)).toBe(500);
  });
  it('is zero for an idle instrument', () => {
    expect(itemsPerSecond(0, 10, 200)).toBe(0);
  });
});

describe('chooseBatchMs', () => {
  it('keeps the shortest wait for a lone subscriber', () => {
    expect(serverCores(opts, desk(1), 10)).toBeLessThanOrEqual(opts.serverShare);
    expect(chooseBatchMs(opts, desk(1))).toBe(10);
  });

  it('keeps the shortest wait for a lone subscriber at 100,000 ticks/s (the market-data benchmark)', () => {
    expect(chooseBatchMs(opts, desk(1, 100_000))).toBe(10);
  });

  it('counts a node whose subscribers are not known as one subscriber', () => {
    expect(chooseBatchMs(opts, desk(undefined))).toBe(chooseBatchMs(opts, desk(1)));
  });

  it('waits longer with 40 subscribers, just long enough to stay under the server share', () => {
    const ms = chooseBatchMs(opts, desk(40));
    expect(ms).toBeGreaterThan(10);
    expect(ms).toBeLessThanOrEqual(25);
    expect(serverCores(opts, desk(40), ms)).toBeLessThanOrEqual(opts.serverShare);
    expect(serverCores(opts, desk(40), ms - 1)).toBeGreaterThan(opts.serverShare);
  });

  it('never waits less with more subscribers', () => {
    const waits = [1, 2, 5, 10, 20, 40, 100, 400].map((n) => chooseBatchMs(opts, desk(n)));
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
  });

  it('stops at the latency budget when no wait keeps the server under its share', () => {
    expect(serverCores(opts, desk(400), 25)).toBeGreaterThan(opts.serverShare);
    expect(chooseBatchMs(opts, desk(400))).toBe(25);
  });

  it('does not wait for nothing: slow instruments make an item per tick at any wait', () => {
    expect(chooseBatchMs(opts, desk(1000, 8 * 20))).toBe(10);
  });

  it('does not wait for nothing: items that fill up go out at the same rate at any wait', () => {
    expect(chooseBatchMs(opts, desk(100, 8 * 100_000))).toBe(10);
  });

  it('keeps minMs when it is above the budget', () => {
    expect(chooseBatchMs({ ...opts, minMs: 30 }, desk(400))).toBe(30);
  });
});

describe('the feed defaults (DEFAULT_FEED_CONFIG)', () => {
  const defaults: BatchPolicyOptions = {
    minMs: DEFAULT_FEED_CONFIG.batchMs,
    maxMs: DEFAULT_FEED_CONFIG.maxBatchMs,
    maxBatch: DEFAULT_FEED_CONFIG.maxBatch,
    itemCostMicros: DEFAULT_FEED_CONFIG.itemCostMicros,
    notificationCostMicros: DEFAULT_FEED_CONFIG.notificationCostMicros,
    serverShare: DEFAULT_FEED_CONFIG.serverShare,
  };
  it('keep 10 ms for one subscriber from 10,000 to 100,000 ticks/s', () => {
    for (const rate of [10_000, 50_000, 100_000]) expect(chooseBatchMs(defaults, desk(1, rate))).toBe(10);
  });
  it('wait 24 ms for 10 subscribers and the 25 ms budget for 40 at 10,000 ticks/s', () => {
    expect(chooseBatchMs(defaults, desk(10))).toBe(24);
    expect(chooseBatchMs(defaults, desk(40))).toBe(25);
  });
});
