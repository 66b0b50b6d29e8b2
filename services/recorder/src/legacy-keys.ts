import type { Redis } from 'ioredis';
import { legacyMarketKeys } from '@tickdesk/store';
import { ALL_INTERVALS } from './candle-aggregator.js';
import { candlesKey, finalKey, ticksKey } from './redis-layout.js';

const CHUNK = 5_000;

/**
 * Market data stored before the keys were tagged per instrument (td:ticks:<SYMBOL>,
 * td:candles:<interval>:<SYMBOL>, the shared td:candles:final) is moved to the tagged keys
 * when a recorder first warms the symbol up, so an upgraded desk keeps its history. Key by
 * key with single-key commands (no command spans slots), copying before deleting: a move
 * cut short is done again, and copying a member twice changes nothing.
 */
export async function moveLegacyKeys(redis: Redis, symbols: readonly string[]): Promise<number> {
  const legacy = legacyMarketKeys();
  let moved = 0;
  for (const symbol of symbols) {
    const pairs: Array<[string, string]> = [
      [legacy.ticks(symbol), ticksKey(symbol)],
      ...ALL_INTERVALS.map((i): [string, string] => [legacy.candles(i, symbol), candlesKey(i, symbol)]),
    ];
    const finals = ALL_INTERVALS.map((i) => `${i}:${symbol}`);
    const [exists, marks] = await Promise.all([
      Promise.all(pairs.map(([from]) => redis.exists(from))),
      redis.hmget(legacy.final, ...finals),
    ]);
    const found = pairs.filter((_, k) => exists[k] === 1);
    if (found.length === 0 && marks.every((m) => m === null)) continue;
    for (const [from, to] of found) {
      for (let start = 0; ; start += CHUNK) {
        const page = await redis.zrange(from, start, start + CHUNK - 1, 'WITHSCORES');
        if (page.length === 0) break;
        const args: string[] = [];
        for (let k = 0; k < page.length; k += 2) args.push(page[k + 1]!, page[k]!);
        await redis.zadd(to, ...args);
      }
      await redis.del(from);
      moved++;
    }
    const fields = Object.fromEntries(ALL_INTERVALS.flatMap((i, k) => (marks[k] ? [[i, marks[k]]] : [])));
    if (Object.keys(fields).length > 0) await redis.hset(finalKey(symbol), fields);
    await redis.hdel(legacy.final, ...finals);
  }
  return moved;
}
