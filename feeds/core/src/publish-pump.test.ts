import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Pubsub } from '@tickdesk/xmpp';
import { createFeedMetrics } from './metrics.js';
import { createPublishPump } from './publish-pump.js';
import { createTickBatcher } from './tick-batcher.js';

const T = 1_800_000_000_000_000; // µs

/** A pubsub whose publishes stay outstanding until the test answers them, oldest first. */
function heldPubsub() {
  const replies: Array<() => void> = [];
  const pubsub = { publish: () => new Promise<void>((r) => replies.push(r)) } as unknown as Pubsub;
  const answerOne = async () => {
    replies.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { pubsub, answerOne, outstanding: () => replies.length };
}

function setup() {
  const { pubsub, answerOne, outstanding } = heldPubsub();
  const batcher = createTickBatcher({ maxBatch: 10, maxPending: 1_000 });
  const pump = createPublishPump({
    pubsub,
    batcher,
    batchWait: { ms: 0, eager: () => false },
    config: { maxBatch: 10, maxInFlight: 1, maxPendingPerInstrument: 100, publishTimeoutMs: 1_000 },
    metrics: createFeedMetrics(),
    label: { feed: 'test' },
    log: pino({ level: 'silent' }),
    now: () => T,
    connected: () => true,
    gate: undefined,
    sensors: new Set(),
  });
  const add = (symbol: string, n: number) => {
    for (let i = 1; i <= n; i++)
      batcher.add({ symbol, seq: i, price: '1.5', size: '1', side: 'unknown', eventMicros: T, ingestMicros: T });
  };
  return { pump, batcher, add, answerOne, outstanding };
}

describe('publish pump backpressure (maxPendingPerInstrument = 100)', () => {
  it('lets a source on at once while fewer than 100 ticks wait', async () => {
    const { pump, add } = setup();
    add('AAA', 99);
    expect(pump.hasRoom()).toBe(true);
    await expect(pump.drain()).resolves.toBeUndefined();
  });

  it('holds a source at 100 waiting ticks and lets it on once fewer than 50 wait, not before', async () => {
    const { pump, batcher, add, answerOne, outstanding } = setup();
    add('AAA', 60);
    add('BBB', 60);
    expect(pump.hasRoom()).toBe(false);
    let drained = false;
    void pump.drain().then(() => (drained = true));
    pump.pump();
    // One publish of 10 ticks in flight at a time: each reply lets the next go.
    while (batcher.pending >= 50) {
      expect(drained).toBe(false);
      expect(outstanding()).toBe(1);
      await answerOne();
    }
    await new Promise((r) => setImmediate(r));
    expect(batcher.pending).toBe(40);
    expect(pump.hasRoom()).toBe(true);
    expect(drained).toBe(true);
  });
});
