import type { RawTick } from '@tickdesk/feed-core';
import { Decimal, type MarketInstrument } from '@tickdesk/schemas';
import { SyntheticFeedError } from './errors.js';
import { mulberry32, type Random } from './prng.js';
import { formatScaled, toScaled } from './scaled.js';

export interface RandomWalkOptions {
  instruments: readonly MarketInstrument[];
  /** Any integer; only its low 32 bits are used. */
  seed: number;
  /** The first tick's seq on every instrument (default 1). A desk restart passes a larger one so seq keeps increasing. */
  firstSeq?: number;
}

/** Produces ticks one at a time; the same seed and instruments give the same sequence. */
export interface RandomWalk {
  next(eventTimeMicros: number): RawTick;
}

interface Lane {
  symbol: string;
  /** Current price as a whole number of ticks; always ≥ 1. */
  ticks: number;
  tickUnits: number;
  priceScale: number;
  lotUnits: number;
  sizeScale: number;
  seq: number;
}

const MAX_LOTS = 50;

function lane(instrument: MarketInstrument, firstSeq: number): Lane {
  const { symbol, tickSize, lotSize, referencePrice } = instrument;
  try {
    const tick = toScaled(tickSize);
    const lot = toScaled(lotSize);
    if (tick.units <= 0 || lot.units <= 0) throw new RangeError('tickSize and lotSize must be positive');
    // Start at the reference price rounded to the nearest whole tick, at least one tick.
    const start = new Decimal(referencePrice).div(tickSize).toDecimalPlaces(0).toNumber();
    return {
      symbol,
      ticks: Math.max(1, start),
      tickUnits: tick.units,
      priceScale: tick.scale,
      lotUnits: lot.units,
      sizeScale: lot.scale,
      seq: firstSeq - 1,
    };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new SyntheticFeedError('TICKDESK_SYNTHETIC_CONFIG', `instrument ${symbol}: ${why}`);
  }
}

/** Mostly small moves: 0 (40%), ±1 tick (25% each), ±2 ticks (5% each). */
function step(random: Random): number {
  const r = random();
  if (r < 0.4) return 0;
  if (r < 0.65) return 1;
  if (r < 0.9) return -1;
  return r < 0.95 ? 2 : -2;
}

export function createRandomWalk({ instruments, seed, firstSeq = 1 }: RandomWalkOptions): RandomWalk {
  if (instruments.length === 0) {
    throw new SyntheticFeedError('TICKDESK_SYNTHETIC_CONFIG', 'at least one instrument is required');
  }
  const lanes = instruments.map((i) => lane(i, firstSeq));
  const random = mulberry32(seed);
  return {
    next(eventTimeMicros) {
      const l = lanes[Math.floor(random() * lanes.length)]!;
      const moved = l.ticks + step(random);
      // Reflect at one tick so the price never reaches zero.
      l.ticks = moved < 1 ? 2 - moved : moved;
      // Cubing a uniform skews sizes towards one lot.
      const lots = 1 + Math.floor(MAX_LOTS * random() ** 3);
      const side = random() < 0.5 ? 'buy' : 'sell';
      l.seq += 1;
      return {
        symbol: l.symbol,
        seq: l.seq,
        price: formatScaled(l.ticks * l.tickUnits, l.priceScale),
        size: formatScaled(lots * l.lotUnits, l.sizeScale),
        side,
        eventTimeMicros,
      };
    },
  };
}
