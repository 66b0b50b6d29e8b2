import type { Redis } from 'ioredis';
import { parseTimestamp, type BarInterval, type Instrument, type LastPrice } from '@tickdesk/schemas';
import { createRecorderStore, RecorderError, resolveRecorderConfig, type TickPage } from '@tickdesk/recorder';
import { createCandlePages } from './candle-pages.js';
import { ApiError, badRequest } from './errors.js';

export interface TimeRange {
  /** Event time µs, inclusive. */
  from: number;
  /** Event time µs, exclusive. */
  to: number;
}

const OPEN_END = Number.MAX_SAFE_INTEGER;

/** A query's from/to as µs; 400 naming the field when a date is impossible or out of range. */
export function parseRange(from: string, to: string | undefined): TimeRange {
  const range = { from: micros('from', from), to: to === undefined ? OPEN_END : micros('to', to) };
  if (range.to < range.from) throw badRequest('querystring field "to": must not be before "from"');
  return range;
}

/** Charts poll and pages repeat the same from/to: the times last parsed are remembered. */
const parsed = new Map<string, number>();

function micros(field: string, text: string): number {
  const known = parsed.get(text);
  if (known !== undefined) return known;
  const value = parseTimestamp(text);
  if (value === undefined || value < 0 || !Number.isSafeInteger(value)) {
    throw badRequest(`querystring field "${field}": not a valid UTC time between 1970 and 2255`);
  }
  if (parsed.size >= 1_024) parsed.clear();
  parsed.set(text, value);
  return value;
}

/**
 * Market data as the recorder keeps it in Redis (its layout, its read functions):
 * instruments from the desk's list, last prices, tick pages and candles.
 */
export function createMarketData({
  redis,
  instruments,
  candleCacheBytes,
}: {
  redis: Redis;
  instruments: readonly Instrument[];
  candleCacheBytes: number;
}) {
  const { maxTicksPerInstrument, candleLimits } = resolveRecorderConfig();
  const store = createRecorderStore({ redis, limits: { maxTicksPerInstrument, candleLimits } });
  const pages = createCandlePages({ store, cacheBytes: candleCacheBytes });
  const bySymbol = new Map(instruments.map((i) => [i.symbol, i]));

  function instrument(symbol: string): Instrument {
    const found = bySymbol.get(symbol);
    if (!found) throw new ApiError('TICKDESK_API_UNKNOWN_INSTRUMENT', `no instrument ${symbol}`);
    return found;
  }

  return {
    instruments: (): readonly Instrument[] => instruments,
    instrument,

    async last(symbol: string): Promise<LastPrice> {
      instrument(symbol);
      const last = await store.lastPrice(symbol);
      if (!last) throw new ApiError('TICKDESK_API_NO_DATA', `no trade of ${symbol} recorded yet`);
      return last;
    },

    async lastAll(): Promise<LastPrice[]> {
      return (await store.lastPrices()).filter((p) => bySymbol.has(p.symbol));
    },

    async ticks(symbol: string, range: TimeRange, limit: number, cursor?: string): Promise<TickPage> {
      instrument(symbol);
      return recorderInput(() => store.ticks(symbol, range.from, range.to, limit, cursor));
    },

    /** One page of candles as CandlePage JSON; `cursor` is the start of the first candle of the page. */
    async candles(
      symbol: string,
      interval: BarInterval,
      range: TimeRange,
      limit: number,
      cursor?: string,
    ): Promise<string | Buffer> {
      instrument(symbol);
      const from = cursor === undefined ? range.from : Math.max(range.from, micros('cursor', cursor));
      return recorderInput(() => pages.json(symbol, interval, from, range.to, limit));
    },
  };
}

/** The recorder refuses a range or cursor it cannot use with a RecorderError: that is the caller's input. */
async function recorderInput<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof RecorderError && err.code !== 'TICKDESK_RECORDER_BAD_CONFIG')
      throw badRequest(`querystring: ${err.message}`);
    throw err;
  }
}
