import { describe, expect, it } from 'vitest';
import { createTickBatcher } from './tick-batcher.js';
import { createPublishWindow } from './publish-window.js';
import type { AcceptedTick } from './validator.js';

const tick = (symbol: string, seq: number, ingestMicros = 0): AcceptedTick => ({
  symbol,
  seq,
  price: '1',
  size: '1',
  side: 'buy',
  eventMicros: 0,
  ingestMicros,
});

/** Ready when the oldest tick was ingested at or before `micros`. */
const before = (micros: number) => (_symbol: string, oldest: number) => oldest <= micros;

describe('tick batcher', () => {
  it('batches per instrument, oldest first, at most maxBatch per item', () => {
    const b = createTickBatcher({ maxBatch: 3, maxPending: 100 });
    for (let i = 1; i <= 5; i++) b.add(tick('A', i));
    b.add(tick('B', 1));
    expect(b.take()!.ticks.map((t) => t.seq)).toEqual([1, 2, 3]);
    expect(b.take()).toMatchObject({ symbol: 'B' });
    expect(b.take()!.ticks.map((t) => t.seq)).toEqual([4, 5]);
    expect(b.take()).toBeUndefined();
    expect(b.pending).toBe(0);
  });

  it('conflates the oldest ticks once an instrument is over its bound, and says so in the next batch', () => {
    const b = createTickBatcher({ maxBatch: 1000, maxPending: 10 });
    for (let i = 1; i <= 25; i++) b.add(tick('A', i));
    expect(b.pending).toBe(10);
    const batch = b.take()!;
    expect(batch.conflated).toBe(15);
    expect(batch.ticks.map((t) => t.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    b.add(tick('A', 26));
    expect(b.take()!.conflated).toBe(0);
    expect(b.conflated).toBe(15);
  });

  it('takes only ready batches: full ones, or ones whose oldest tick is old enough', () => {
    const b = createTickBatcher({ maxBatch: 3, maxPending: 100 });
    b.add(tick('A', 1, 1_000));
    b.add(tick('A', 2, 9_000));
    b.add(tick('B', 1, 5_000));
    expect(b.oldest()).toBe(1_000);
    expect(b.take(before(999))).toBeUndefined();
    expect(b.take(before(1_000))).toMatchObject({ symbol: 'A' });
    expect(b.oldest()).toBe(5_000);
    expect(b.take(before(4_999))).toBeUndefined();
    for (let i = 2; i <= 4; i++) b.add(tick('B', i, 20_000));
    // B is full (3 of 4 pending ticks fit), so it goes whatever its age.
    expect(b.take(before(0))!.ticks.map((t) => t.seq)).toEqual([1, 2, 3]);
    expect(b.take(before(0))).toBeUndefined();
    expect(b.take()!.ticks.map((t) => t.seq)).toEqual([4]);
    expect(b.oldest()).toBeUndefined();
  });

  it('keeps memory bounded under sustained overload', () => {
    const b = createTickBatcher({ maxBatch: 100, maxPending: 1000 });
    for (let i = 1; i <= 200_000; i++) b.add(tick(`S${i % 4}`, i));
    expect(b.pending).toBe(4000);
  });
});

describe('publish window', () => {
  it('never allows more than its size in flight', async () => {
    const w = createPublishWindow(2);
    expect([w.tryAcquire(), w.tryAcquire(), w.tryAcquire()]).toEqual([true, true, false]);
    w.release();
    expect(w.tryAcquire()).toBe(true);
    const idle = w.idle();
    w.release();
    w.release();
    await idle;
    expect(w.inFlight).toBe(0);
  });
});
