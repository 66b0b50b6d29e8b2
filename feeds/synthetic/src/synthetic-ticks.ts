import type { RawTick } from '@tickdesk/feed-core';
import { nowMicros, type MarketInstrument } from '@tickdesk/schemas';
import { SyntheticFeedError } from './errors.js';
import { createRandomWalk } from './random-walk.js';

export interface SyntheticTicksOptions {
  instruments: readonly MarketInstrument[];
  seed: number;
  /** Spacing of event times, ticks per second across all instruments (default 1000). */
  ratePerSecond?: number;
  /** Event time of the first tick, µs since the epoch (default: now). */
  startMicros?: number;
  /** Stop after this many ticks (default: never). */
  count?: number;
}

export function assertRate(ratePerSecond: number): void {
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new SyntheticFeedError(
      'TICKDESK_SYNTHETIC_CONFIG',
      `ratePerSecond must be a positive finite number, got ${ratePerSecond}`,
    );
  }
}

/** Event time of the i-th tick (from 0) at an even rate. */
export function scheduledMicros(startMicros: number, i: number, ratePerSecond: number): number {
  return startMicros + Math.floor((i * 1_000_000) / ratePerSecond);
}

/**
 * The synthetic feed's ticks without any timing, e.g. to pre-generate a benchmark
 * load. For a given seed and instruments it yields what `createSyntheticFeed` pushes.
 */
export function* syntheticTicks(opts: SyntheticTicksOptions): Generator<RawTick, void, undefined> {
  const { instruments, seed, ratePerSecond = 1000, startMicros = nowMicros(), count = Infinity } = opts;
  assertRate(ratePerSecond);
  const walk = createRandomWalk({ instruments, seed });
  for (let i = 0; i < count; i++) {
    yield walk.next(scheduledMicros(startMicros, i, ratePerSecond));
  }
}
