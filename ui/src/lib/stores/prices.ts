import { readonly, writable } from 'svelte/store';
import { compareDecimal, valueStep, type Bar } from '@tickdesk/schemas';
import type { MarketApi } from '../api/market-api.js';
import { createFrameBatcher, type FrameScheduler } from '../frame-batcher.js';
import { warn } from '../log.js';
import { priceChange, type PriceChange } from '../price-change.js';
import type { ValueStyle } from '../value-format.js';

export interface WatchRow extends ValueStyle {
  symbol: string;
  name: string;
  /** Exact decimal string, as received. */
  last?: string;
  /** The change's reference: the open of the current UTC day's first candle, and that day. */
  reference?: { day: string; open: string };
  change?: PriceChange;
  /** The last move: the flash's colour. */
  tick: 'up' | 'down' | 'flat';
  /** Increments on every paint that changed this row (the flash). */
  updated: number;
}

const utcDay = (timestamp: string) => timestamp.slice(0, 10);

/**
 * The watchlist: instruments and last prices from REST, then live from 1-second bars.
 * Change = last − the open of the current UTC day's first candle (REST 1h candles; until
 * today has one, the first live bar of today), so it matches a daily bar. Bars are
 * coalesced: however fast they come, the store changes at most once per animation frame.
 */
export function createPrices({
  market,
  frames,
  now = Date.now,
}: {
  market: MarketApi;
  frames: FrameScheduler;
  now?: () => number;
}) {
  const rows = writable<WatchRow[]>([]);
  let current: WatchRow[] = [];
  const batcher = createFrameBatcher<Bar>(frames, apply);

  function withLast(row: WatchRow, last: string, reference = row.reference): WatchRow {
    const change = reference ? priceChange(last, reference.open) : undefined;
    const move = row.last === undefined ? 0 : compareDecimal(last, row.last);
    const tick = move > 0 ? 'up' : move < 0 ? 'down' : 'flat';
    return {
      ...row,
      last,
      tick,
      ...(reference ? { reference } : {}),
      ...(change ? { change } : {}),
      updated: row.updated + 1,
    };
  }

  function apply(bars: Bar[]): void {
    const bySymbol = new Map(current.map((r, i) => [r.symbol, i]));
    const next = [...current];
    const touched = new Map<number, { last: string; reference: WatchRow['reference'] }>();
    for (const bar of bars) {
      const i = bySymbol.get(bar.symbol);
      if (i === undefined) continue;
      const t = touched.get(i) ?? { last: next[i]!.last ?? bar.close, reference: next[i]!.reference };
      const day = utcDay(bar.start);
      if (!t.reference || day > t.reference.day) t.reference = { day, open: bar.open };
      t.last = bar.close;
      touched.set(i, t);
    }
    if (touched.size === 0) return;
    for (const [i, t] of touched) next[i] = withLast(next[i]!, t.last, t.reference);
    current = next;
    rows.set(current);
  }

  async function todaysOpen(symbol: string, today: string): Promise<WatchRow['reference']> {
    const page = await market.candles(symbol, { interval: '1h', from: `${today}T00:00:00Z`, limit: 1 });
    const first = page.candles[0];
    return first ? { day: utcDay(first.start), open: first.open } : undefined;
  }

  return {
    rows: readonly(rows),

    /** Instruments, last prices and today's opens; returns the symbols. */
    async load(): Promise<string[]> {
      const [instruments, prices] = await Promise.all([market.instruments(), market.prices().catch(() => [])]);
      const lastBy = new Map(prices.map((p) => [p.symbol, p.price]));
      const today = new Date(now()).toISOString().slice(0, 10);
      const refs = await Promise.all(
        instruments.map((i) =>
          todaysOpen(i.symbol, today).catch(
            (err: unknown) => void warn('no open for the day', { symbol: i.symbol, err }),
          ),
        ),
      );
      const previous = new Map(current.map((r) => [r.symbol, r]));
      current = instruments.map((inst, k) => {
        const old = previous.get(inst.symbol);
        const base: WatchRow = {
          symbol: inst.symbol,
          name: inst.name,
          kind: inst.kind,
          unit: inst.unit,
          decimals: inst.decimals,
          step: valueStep(inst),
          tick: 'flat',
          updated: old?.updated ?? 0,
        };
        const last = old?.last ?? lastBy.get(inst.symbol);
        const reference = refs[k] ?? old?.reference;
        return last
          ? { ...withLast(base, last, reference), tick: 'flat', updated: base.updated }
          : { ...base, ...(reference ? { reference } : {}) };
      });
      rows.set(current);
      return instruments.map((i) => i.symbol);
    },

    /** A live bar; painted with the others of the same frame. */
    push: (bar: Bar) => batcher.push(bar),

    clear(): void {
      batcher.clear();
      current = [];
      rows.set(current);
    },
  };
}
