import { derived, get, readonly, writable, type Readable } from 'svelte/store';
import type { Bar, BarInterval, Rule } from '@tickdesk/schemas';
import type { CandlestickData, UTCTimestamp } from 'lightweight-charts';
import type { MarketApi } from '../api/market-api.js';
import { chartCandle, chartPrice } from '../chart-numbers.js';
import { createFrameBatcher, type FrameScheduler } from '../frame-batcher.js';
import { isoMillis } from '../time-format.js';
import { foldBar, fromBar, type DecimalCandle } from './candle-series.js';

export type ChartCandle = CandlestickData<UTCTimestamp>;

export interface ChartView {
  symbol: string | undefined;
  interval: BarInterval;
  /** Chart numbers, oldest first; the last few change in place between resets. */
  candles: ChartCandle[];
  /** Increments when the series is replaced (new symbol, interval or backfill). */
  revision: number;
  loading: boolean;
  error: string;
  /** performance.now() when the backfill was requested (the chart's first-paint figure starts here). */
  requestedAt: number;
}

export interface PriceLine {
  price: number;
  title: string;
  paused: boolean;
}

/** The backfill reaches back this many candles of the interval (one page). */
const BACKFILL_CANDLES = 5_000;
const SPAN_MS: Record<BarInterval, number> = {
  '1s': BACKFILL_CANDLES * 1_000,
  '1m': BACKFILL_CANDLES * 60_000,
  '1h': BACKFILL_CANDLES * 3_600_000,
};
const GRID_MS: Record<BarInterval, number> = { '1s': 60_000, '1m': 3_600_000, '1h': 86_400_000 };
const PAGE = BACKFILL_CANDLES + 100;
const MAX_PAGES = 2;

/**
 * The chart of the selected instrument: backfilled from REST candles, then extended by
 * live 1-second bars folded into the chosen interval, repainted at most once a frame.
 */
export function createChart(deps: {
  market: MarketApi;
  frames: FrameScheduler;
  rules: Readable<Rule[]>;
  now?: () => number;
  clock?: () => number;
}) {
  const now = deps.now ?? Date.now;
  const clock = deps.clock ?? (() => performance.now());
  const view = writable<ChartView>({
    symbol: undefined,
    interval: '1m',
    candles: [],
    revision: 0,
    loading: false,
    error: '',
    requestedAt: 0,
  });
  let series: DecimalCandle[] = [];
  let out: ChartCandle[] = [];
  let early: Bar[] = [];
  let ticket = 0;

  const toChart = (c: DecimalCandle) => chartCandle(c.start / 1_000_000, c);
  const batcher = createFrameBatcher<Bar>(deps.frames, (bars) => {
    const v = get(view);
    let changed = false;
    for (const bar of bars) changed = fold(bar, v.interval) || changed;
    if (changed) view.set({ ...v, candles: out });
  });

  function fold(bar: Bar, interval: BarInterval): boolean {
    const what = foldBar(series, bar, interval);
    if (what === 'ignored') return false;
    const c = toChart(series[series.length - 1]!);
    if (!c) {
      if (what === 'appended') series.pop();
      return false;
    }
    if (what === 'appended') out.push(c);
    else out[out.length - 1] = c;
    return true;
  }

  async function backfill(symbol: string, interval: BarInterval, mine: number): Promise<void> {
    const candles: Bar[] = [];
    let cursor: string | undefined;
    // On a coarse grid, so pages of the same range are the same request (the API caches final runs).
    const from = isoMillis(Math.floor((now() - SPAN_MS[interval]) / GRID_MS[interval]) * GRID_MS[interval]);
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await deps.market.candles(symbol, { interval, from, limit: PAGE, ...(cursor ? { cursor } : {}) });
      if (mine !== ticket) return;
      candles.push(...res.candles);
      cursor = res.nextCursor;
      if (!cursor) break;
    }
    series = [];
    out = [];
    for (const bar of candles) {
      const d = fromBar(bar, interval);
      const c = d && toChart(d);
      if (d && c) {
        series.push(d);
        out.push(c);
      }
    }
    for (const bar of early) fold(bar, interval);
    early = [];
    view.update((v) => ({ ...v, candles: out, revision: v.revision + 1, loading: false, error: '' }));
  }

  async function show(symbol: string, interval: BarInterval): Promise<void> {
    const mine = ++ticket;
    batcher.clear();
    series = [];
    out = [];
    early = [];
    view.update((v) => ({
      ...v,
      symbol,
      interval,
      candles: out,
      revision: v.revision + 1,
      loading: true,
      error: '',
      requestedAt: clock(),
    }));
    try {
      await backfill(symbol, interval, mine);
    } catch (err) {
      if (mine === ticket)
        view.update((v) => ({ ...v, loading: false, error: `No history: ${String((err as Error)?.message ?? err)}` }));
    }
  }

  const priceLines = derived([view, deps.rules], ([$view, $rules]) => {
    const lines: PriceLine[] = [];
    for (const r of $rules) {
      if (r.symbol !== $view.symbol || (r.status !== 'active' && r.status !== 'paused')) continue;
      for (const [label, value] of [
        ['', r.threshold],
        ['lower ', r.lower],
        ['upper ', r.upper],
      ] as const) {
        const price = value === undefined ? undefined : chartPrice(value);
        if (price !== undefined)
          lines.push({ price, title: `${label}${r.condition} ${r.id}`, paused: r.status === 'paused' });
      }
    }
    return lines;
  });

  return {
    view: readonly(view),
    priceLines,
    select: (symbol: string) => show(symbol, get(view).interval),
    setInterval: (interval: BarInterval) => {
      const s = get(view).symbol;
      if (s) return show(s, interval);
      view.update((v) => ({ ...v, interval }));
      return Promise.resolve();
    },
    /** Reload the current series (after a re-login). */
    reload: () => {
      const v = get(view);
      return v.symbol ? show(v.symbol, v.interval) : Promise.resolve();
    },
    push(bar: Bar): void {
      const v = get(view);
      if (bar.symbol !== v.symbol) return;
      if (v.loading) early.push(bar);
      else batcher.push(bar);
    },
    clear(): void {
      ticket++;
      batcher.clear();
      series = [];
      out = [];
      view.update((v) => ({
        ...v,
        symbol: undefined,
        candles: out,
        revision: v.revision + 1,
        loading: false,
        error: '',
      }));
    },
  };
}
