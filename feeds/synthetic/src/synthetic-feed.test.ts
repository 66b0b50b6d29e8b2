import { describe, expect, it } from 'vitest';
import { collectingSink } from '../../../test/support/collecting-sink.js';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { createSyntheticFeed } from './synthetic-feed.js';
import { syntheticTicks } from './synthetic-ticks.js';

async function runFor(ms: number, ratePerSecond: number, seed = 1) {
  const feed = createSyntheticFeed({ instruments: DEFAULT_INSTRUMENTS, ratePerSecond, seed, startMicros: 0 });
  const sink = collectingSink();
  const ac = new AbortController();
  const started = performance.now();
  const done = feed.run(sink, ac.signal);
  expect(feed.state()).toBe('running');
  await new Promise((r) => setTimeout(r, ms));
  ac.abort();
  await done;
  return { feed, sink, elapsedMs: performance.now() - started };
}

describe('createSyntheticFeed', () => {
  it('pushes about ratePerSecond ticks per second (2,000/s over ~300 ms)', async () => {
    const { sink, elapsedMs } = await runFor(300, 2000);
    const expected = (elapsedMs / 1000) * 2000;
    expect(sink.ticks.length).toBeGreaterThan(expected * 0.6);
    expect(sink.ticks.length).toBeLessThan(expected * 1.15);
  });

  it('keeps up with 100,000 ticks/s without a timer per tick', async () => {
    const { sink, elapsedMs } = await runFor(250, 100_000);
    expect(sink.ticks.length).toBeGreaterThan((elapsedMs / 1000) * 100_000 * 0.5);
  });

  it('pushes the same sequence as syntheticTicks for the seed, with event times spread over the run', async () => {
    const { sink, elapsedMs } = await runFor(100, 5000, 99);
    const expected = [
      ...syntheticTicks({
        instruments: DEFAULT_INSTRUMENTS,
        seed: 99,
        ratePerSecond: 5000,
        startMicros: 0,
        count: sink.ticks.length,
      }),
    ];
    expect(sink.ticks).toEqual(expected);
    const times = sink.ticks.map((t) => t.eventTimeMicros);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    expect(times.at(-1)!).toBeLessThanOrEqual(elapsedMs * 1000);
    expect(new Set(times).size).toBeGreaterThan(times.length / 2);
  });

  it('stops on abort: run resolves, state is stopped and nothing more arrives', async () => {
    const { feed, sink } = await runFor(50, 1000);
    const count = sink.ticks.length;
    expect(feed.state()).toBe('stopped');
    await new Promise((r) => setTimeout(r, 30));
    expect(sink.ticks.length).toBe(count);
  });

  it('aborts a long wait at a low rate promptly, and resolves at once when already aborted', async () => {
    const { elapsedMs } = await runFor(20, 0.1);
    expect(elapsedMs).toBeLessThan(500);
    const feed = createSyntheticFeed({ instruments: DEFAULT_INSTRUMENTS, ratePerSecond: 10, seed: 1 });
    const sink = collectingSink();
    await feed.run(sink, AbortSignal.abort());
    expect(sink.ticks).toHaveLength(0);
  });

  it('refuses a second concurrent run', async () => {
    const feed = createSyntheticFeed({ instruments: DEFAULT_INSTRUMENTS, ratePerSecond: 10, seed: 1 });
    const ac = new AbortController();
    const first = feed.run(collectingSink(), ac.signal);
    await expect(feed.run(collectingSink(), ac.signal)).rejects.toMatchObject({ code: 'TICKDESK_SYNTHETIC_BUSY' });
    ac.abort();
    await first;
  });
});
