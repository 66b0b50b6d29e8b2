import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { createSourceLifecycle, type FeedSource, type TickSink } from '@tickdesk/feed-core';
import { nowMicros, type MarketInstrument } from '@tickdesk/schemas';
import { SyntheticFeedError } from './errors.js';
import { createRandomWalk } from './random-walk.js';
import { assertRate, scheduledMicros } from './synthetic-ticks.js';

export interface SyntheticFeedOptions {
  instruments: readonly MarketInstrument[];
  /** Ticks per second across all instruments; 1 to 100,000 and more. */
  ratePerSecond: number;
  seed: number;
  /** The first tick's seq per instrument (default 1). */
  firstSeq?: number;
  /** Event time of the first tick, µs since the epoch (default: when `run` starts). */
  startMicros?: number;
  /** Monotonic clock in microseconds (default: process.hrtime). */
  clock?: () => number;
  /** Shortest pause between two slices of ticks (default 2 ms). */
  sliceMs?: number;
}

/** Largest burst pushed without yielding to the event loop after a stall. */
const MAX_BURST = 10_000;

const hrtimeMicros = (): number => Number(process.hrtime.bigint() / 1000n);

const ignoreAbort = (err: unknown): void => {
  if (!(err instanceof Error && err.name === 'AbortError')) throw err;
};

/**
 * A seeded random walk per instrument. Ticks are generated in time slices: each
 * wake-up pushes every tick due since the start, so high rates need no timer per tick.
 */
export function createSyntheticFeed(opts: SyntheticFeedOptions): FeedSource {
  const { instruments, ratePerSecond, seed, firstSeq, clock = hrtimeMicros, sliceMs = 2 } = opts;
  assertRate(ratePerSecond);
  createRandomWalk({ instruments, seed }); // validates the instruments now, not at run
  const lifecycle = createSourceLifecycle(
    () => new SyntheticFeedError('TICKDESK_SYNTHETIC_BUSY', 'the synthetic feed is already running'),
  );

  async function produce(sink: TickSink, signal: AbortSignal): Promise<void> {
    const walk = createRandomWalk({ instruments, seed, ...(firstSeq !== undefined ? { firstSeq } : {}) });
    const startMicros = opts.startMicros ?? nowMicros();
    const t0 = clock();
    let emitted = 0;
    while (!signal.aborted) {
      const due = Math.floor(((clock() - t0) * ratePerSecond) / 1_000_000);
      const end = Math.min(due, emitted + MAX_BURST);
      for (; emitted < end; emitted++) {
        sink.push(walk.next(scheduledMicros(startMicros, emitted, ratePerSecond)));
      }
      if (emitted < due) {
        await yieldToLoop();
        continue;
      }
      const nextDueMicros = Math.ceil(((emitted + 1) * 1_000_000) / ratePerSecond);
      const waitMs = Math.max(sliceMs, (nextDueMicros - (clock() - t0)) / 1000);
      await sleep(waitMs, undefined, { signal }).catch(ignoreAbort);
    }
  }

  return {
    name: 'synthetic',
    state: lifecycle.state,
    run: (sink, signal) => lifecycle.run('running', () => produce(sink, signal)),
  };
}
