import type { Redis } from 'ioredis';
import { createLastPriceStore } from '@tickdesk/store';
import { formatMicros, type Bar, type BarInterval, type LastPrice, type Tick } from '@tickdesk/schemas';
import { ALL_INTERVALS, type Candle } from './candle-aggregator.js';
import { RecorderError } from './errors.js';
import { moveLegacyKeys } from './legacy-keys.js';
import { createMarketWriter } from './market-write.js';
import {
  candleMemberStart,
  candlesKey,
  decodeCandle,
  decodeLast,
  decodeTickMember,
  finalKey,
  LAST_KEY,
  recordedKey,
  ticksKey,
} from './redis-layout.js';
import { decodeTickCursor, encodeTickCursor, nextTickCursor } from './tick-cursor.js';
import { recorderScripts } from './write-script.js';

export interface TickPage {
  ticks: Tick[];
  /** Pass back to get the next page; absent on the last page. */
  nextCursor?: string;
}

/** What the recorder last stored for a symbol, to resume aggregation after a restart. */
export interface SymbolSeed {
  lastSeq: number | undefined;
  /** `finalThrough`: the series' published final mark, when there is one. */
  candles: Record<BarInterval, { candles: Candle[]; truncated: boolean; finalThrough?: number }>;
  /** Leases on: the larger lease token that holds the symbol now (this recorder must let it go); nothing else is read. */
  refused?: number;
}

export interface CandleMembers {
  members: string[];
  starts: number[];
  /** Undefined when the series has no mark yet, or it was not asked for. */
  finalThrough: number | undefined;
}

export interface StoreLimits {
  maxTicksPerInstrument: number;
  candleLimits: Record<BarInterval, number>;
}

/** Reads and writes the recorder's keys (layout in redis-layout.ts). */
export function createRecorderStore({ redis, limits }: { redis: Redis; limits: StoreLimits }) {
  const lastPrices = createLastPriceStore({ redis });
  const call = recorderScripts(redis);
  return {
    /** Write one coalesced set: one script per instrument (fenced by `tokens` when leases are on), then the last prices. */
    write: createMarketWriter({ redis, limits }),

    /**
     * Last seq and the newest `openBuckets` candles per interval of each symbol. With
     * `tokens` (leases on), each symbol's fence is raised to its token first: a write of an
     * older holder is refused from then on, so what is read here stays what it wrote last.
     * A symbol whose fence is already larger comes back `refused`, and nothing else of it.
     */
    async seeds(
      symbols: readonly string[],
      openBuckets: number,
      tokens?: ReadonlyMap<string, number>,
    ): Promise<Map<string, SymbolSeed>> {
      await moveLegacyKeys(redis, symbols);
      // One command per key (a Cluster client refuses a pipeline across slots); sent in this
      // order on the instrument's connection, so the claim is applied before the reads.
      const seeds = new Map<string, SymbolSeed>();
      await Promise.all(
        symbols.map(async (symbol) => {
          const claim = tokens
            ? call('tdRecorderClaim', [recordedKey(symbol)], [tokens.get(symbol) ?? 0])
            : Promise.resolve(0);
          const reads = Promise.all([
            redis.hget(recordedKey(symbol), 'seq'),
            // Before td:recorded existed the seq was only in the last price.
            redis.hget(LAST_KEY, symbol),
            redis.hgetall(finalKey(symbol)),
            Promise.all(ALL_INTERVALS.map((i) => redis.zrange(candlesKey(i, symbol), -(openBuckets + 1), -1))),
          ]);
          const [refused, [seq, json, finals, series]] = await Promise.all([claim.then(Number), reads]);
          if (refused > 0)
            return void seeds.set(symbol, { lastSeq: undefined, candles: {} as SymbolSeed['candles'], refused });
          const candles = {} as SymbolSeed['candles'];
          ALL_INTERVALS.forEach((interval, k) => {
            const members = series[k]!;
            const truncated = members.length > openBuckets;
            candles[interval] = {
              candles: members.slice(truncated ? 1 : 0).map((m) => decodeCandle(symbol, interval, m)),
              truncated,
            };
            if (finals[interval]) candles[interval].finalThrough = Number(finals[interval]);
          });
          const lastSeq = seq !== null ? Number(seq) : json ? decodeLast(symbol, json).seq : undefined;
          seeds.set(symbol, { lastSeq, candles });
        }),
      );
      return seeds;
    },

    async ping(): Promise<void> {
      await redis.ping();
    },

    lastPrice: (symbol: string): Promise<LastPrice | undefined> => lastPrices.get(symbol),

    async lastPrices(): Promise<LastPrice[]> {
      return (await lastPrices.all()).sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
    },

    /** Ticks with fromMicros <= event time < toMicros, oldest first, `limit` per page. */
    async ticks(
      symbol: string,
      fromMicros: number,
      toMicros: number,
      limit: number,
      cursor?: string,
    ): Promise<TickPage> {
      checkRange(fromMicros, toMicros, limit);
      const from = cursor ? decodeTickCursor(cursor) : { score: fromMicros, skip: 0 };
      if (from.score < fromMicros) Object.assign(from, { score: fromMicros, skip: 0 });
      const raw = await redis.zrange(
        ticksKey(symbol),
        from.score,
        `(${toMicros}`,
        'BYSCORE',
        'LIMIT',
        from.skip,
        limit + 1,
        'WITHSCORES',
      );
      const ticks: Tick[] = [];
      const scores: number[] = [];
      for (let i = 0; i < raw.length && ticks.length < limit; i += 2) {
        ticks.push(decodeTickMember(symbol, raw[i]!));
        scores.push(Number(raw[i + 1]));
      }
      const more = raw.length > limit * 2;
      const next = more ? nextTickCursor(from, scores) : undefined;
      return next ? { ticks, nextCursor: encodeTickCursor(next) } : { ticks };
    },

    /**
     * Candles of [fromMicros, toMicros) as stored (members, oldest first, at most `limit`),
     * their bucket starts, and (unless `withFinal` is false) the series' final mark:
     * candles starting at or before it never change, so a reader may keep them.
     */
    async candleMembers(
      symbol: string,
      interval: BarInterval,
      fromMicros: number,
      toMicros: number,
      limit: number,
      withFinal = true,
    ): Promise<CandleMembers> {
      checkRange(fromMicros, toMicros, limit);
      // The mark is read first: a flush between the two reads then only makes the
      // members newer than the mark promises, never older.
      const [final, members] = await Promise.all([
        withFinal ? redis.hget(finalKey(symbol), interval) : undefined,
        redis.zrange(candlesKey(interval, symbol), fromMicros, `(${toMicros}`, 'BYSCORE', 'LIMIT', 0, limit),
      ]);
      return { members, starts: members.map(candleMemberStart), finalThrough: final ? Number(final) : undefined };
    },

    /** Candles whose bucket starts in [fromMicros, toMicros), oldest first, at most `limit`. */
    async candles(
      symbol: string,
      interval: BarInterval,
      fromMicros: number,
      toMicros: number,
      limit = 1_000,
    ): Promise<Bar[]> {
      checkRange(fromMicros, toMicros, limit);
      const raw = await redis.zrange(
        candlesKey(interval, symbol),
        fromMicros,
        `(${toMicros}`,
        'BYSCORE',
        'LIMIT',
        0,
        limit,
      );
      return raw.map((m) => toBar(decodeCandle(symbol, interval, m)));
    },
  };
}

export type RecorderStore = ReturnType<typeof createRecorderStore>;

export function toBar(c: Candle): Bar {
  const { symbol, interval, open, high, low, close, volume, trades } = c;
  return { symbol, interval, start: formatMicros(c.start), open, high, low, close, volume, trades };
}

function checkRange(from: number, to: number, limit: number): void {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from) {
    throw new RecorderError('TICKDESK_RECORDER_BAD_RANGE', `invalid time range [${from}, ${to})`);
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
    throw new RecorderError('TICKDESK_RECORDER_BAD_RANGE', `invalid limit ${limit}`);
}
