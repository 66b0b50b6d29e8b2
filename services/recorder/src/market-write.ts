import type { Redis } from 'ioredis';
import { ALL_INTERVALS, type Candle } from './candle-aggregator.js';
import {
  candlesKey,
  encodeCandle,
  encodeLast,
  finalKey,
  LAST_KEY,
  parseFinalField,
  recordedKey,
  ticksKey,
} from './redis-layout.js';
import type { StoreLimits } from './recorder-store.js';
import { recorderScripts } from './write-script.js';
import type { PendingTick, WriteSet } from './write-buffer.js';

export interface WriteOutcome {
  /** Instruments whose write a larger lease token refused, with that token: nothing of theirs was written. */
  refused: Map<string, number>;
}

interface SymbolWrite {
  ticks: PendingTick[];
  candles: Candle[];
  final: Array<[string, number]>;
}

/**
 * Writes a coalesced set: one script per instrument over that instrument's keys (one slot,
 * write-script.ts), all sent at once, then the last prices of the instruments written.
 * `tokens` (leases on): each instrument's lease token; an instrument without one is not written.
 */
export function createMarketWriter({ redis, limits }: { redis: Redis; limits: StoreLimits }) {
  const call = recorderScripts(redis);
  return async function write(set: WriteSet, tokens?: ReadonlyMap<string, number>): Promise<WriteOutcome> {
    const bySymbol = new Map<string, SymbolWrite>();
    const of = (symbol: string): SymbolWrite => {
      let w = bySymbol.get(symbol);
      if (!w) bySymbol.set(symbol, (w = { ticks: [], candles: [], final: [] }));
      return w;
    };
    for (const [symbol, ticks] of set.ticks) of(symbol).ticks = ticks;
    for (const symbol of set.last.keys()) of(symbol);
    for (const c of set.candles.values()) of(c.symbol).candles.push(c);
    for (const [field, micros] of set.final ?? []) {
      const { interval, symbol } = parseFinalField(field);
      of(symbol).final.push([interval, micros]);
    }
    const sent: string[] = [];
    const calls: Array<Promise<unknown>> = [];
    for (const [symbol, w] of bySymbol) {
      const token = tokens ? tokens.get(symbol) : 0;
      if (token === undefined) continue;
      const last = set.last.get(symbol);
      const keys = [
        ticksKey(symbol),
        ...ALL_INTERVALS.map((i) => candlesKey(i, symbol)),
        finalKey(symbol),
        recordedKey(symbol),
      ];
      const args: Array<string | number> = [
        token,
        limits.maxTicksPerInstrument,
        ...ALL_INTERVALS.map((i) => limits.candleLimits[i]),
        last ? last.seq : '',
        w.ticks.length,
        w.candles.length,
        w.final.length,
      ];
      for (const t of w.ticks) args.push(t.score, t.member);
      for (const c of w.candles) args.push(2 + ALL_INTERVALS.indexOf(c.interval), c.start, encodeCandle(c));
      for (const [interval, micros] of w.final) args.push(interval, micros);
      calls.push(call('tdRecorderWrite', keys, args));
      sent.push(symbol);
    }
    const refused = new Map<string, number>();
    const results = await Promise.allSettled(calls);
    results.forEach((r, k) => {
      if (r.status === 'fulfilled' && Number(r.value) > 0) refused.set(sent[k]!, Number(r.value));
    });
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const lasts = sent.flatMap((s) => {
      const t = set.last.get(s);
      return t && !refused.has(s) ? [s, encodeLast(t), t.seq] : [];
    });
    if (lasts.length > 0) await call('tdRecorderLast', [LAST_KEY], lasts);
    return { refused };
  };
}
