import type { Redis } from 'ioredis';
import type { LastPrice, Tick } from '@tickdesk/schemas';
import { DEFAULT_PREFIX, marketKeys } from './keys.js';

/** A last price as stored in `<prefix>last` (field = SYMBOL): {"price","size","seq","eventTime","ingestTime"}. */
export function encodeLast(t: Tick | LastPrice): string {
  return JSON.stringify({ price: t.price, size: t.size, seq: t.seq, eventTime: t.eventTime, ingestTime: t.ingestTime });
}

export function decodeLast(symbol: string, json: string): LastPrice {
  const v = JSON.parse(json) as Omit<LastPrice, 'symbol'>;
  return { symbol, price: v.price, size: v.size, seq: v.seq, eventTime: v.eventTime, ingestTime: v.ingestTime };
}

/**
 * Last prices, read side (the recorder writes them inside its own MULTI with encodeLast):
 * the API's market data and /health, the CLI's `status`.
 */
export function createLastPriceStore({ redis, prefix = DEFAULT_PREFIX }: { redis: Redis; prefix?: string }) {
  const key = marketKeys(prefix).last;
  return {
    async get(symbol: string): Promise<LastPrice | undefined> {
      const json = await redis.hget(key, symbol);
      return json ? decodeLast(symbol, json) : undefined;
    },
    async all(): Promise<LastPrice[]> {
      return Object.entries(await redis.hgetall(key)).map(([symbol, json]) => decodeLast(symbol, json));
    },
    /** Every entry's stored text by symbol, undecoded: for readers that detect changes by comparing it. */
    async encoded(): Promise<Record<string, string>> {
      return redis.hgetall(key);
    },
  };
}
export type LastPriceStore = ReturnType<typeof createLastPriceStore>;
