import type { Redis } from 'ioredis';
import {
  DEFAULT_INSTRUMENTS,
  formatMicros,
  marketInstrument,
  type MarketInstrument,
  type Tick,
} from '@tickdesk/schemas';
import { createRecorderStore, resolveRecorderConfig, type Candle } from '@tickdesk/recorder';

const MINUTE = 60_000_000;
const decimals = (step: string) => (step.split('.')[1] ?? '').length;

/** The 8 default instruments and synthetic equities up to `count` (SYN01…). */
export function benchInstruments(count: number): MarketInstrument[] {
  const extra = Array.from({ length: Math.max(0, count - DEFAULT_INSTRUMENTS.length) }, (_, i): MarketInstrument => {
    const symbol = `SYN${String(i + 1).padStart(2, '0')}`;
    return marketInstrument({
      symbol,
      name: `Synthetic ${i + 1}`,
      assetClass: 'equity',
      base: symbol,
      quote: 'USD',
      tickSize: '0.01',
      lotSize: '1',
      referencePrice: String(50 + 10 * i),
    });
  });
  return [...DEFAULT_INSTRUMENTS, ...extra].slice(0, count);
}

/**
 * Written with the recorder's own store, as the recorder leaves them: a last price per
 * instrument and `candles` 1m candles of `symbol` up to the current minute (a random
 * walk around its reference price).
 */
export async function seedMarketData(
  redis: Redis,
  instruments: readonly MarketInstrument[],
  symbol: string,
  candles: number,
): Promise<void> {
  const config = resolveRecorderConfig();
  const store = createRecorderStore({
    redis,
    limits: { maxTicksPerInstrument: config.maxTicksPerInstrument, candleLimits: config.candleLimits },
  });
  let seed = 42;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const now = Date.now() * 1000;
  const last = new Map<string, Tick>();
  instruments.forEach((ins, i) => {
    const t = formatMicros(now - i * 1000);
    const price = Number(ins.referencePrice ?? '100').toFixed(decimals(ins.tickSize));
    last.set(ins.symbol, {
      symbol: ins.symbol,
      seq: 1_000_000 + i,
      price,
      size: ins.lotSize,
      side: 'buy',
      eventTime: t,
      ingestTime: t,
    });
  });
  const ins = instruments.find((i) => i.symbol === symbol)!;
  const places = decimals(ins.tickSize);
  const series = new Map<string, Candle>();
  const firstStart = (Math.floor(now / MINUTE) - candles + 1) * MINUTE;
  let close = Number(ins.referencePrice ?? '100');
  for (let i = 0; i < candles; i++) {
    const start = firstStart + i * MINUTE;
    const open = close;
    close = Math.max(1, open * (1 + (random() - 0.5) * 0.004));
    const high = Math.max(open, close) * (1 + random() * 0.001);
    const low = Math.min(open, close) * (1 - random() * 0.001);
    series.set(`1m|${symbol}|${start}`, {
      symbol,
      interval: '1m',
      start,
      open: open.toFixed(places),
      high: high.toFixed(places),
      low: low.toFixed(places),
      close: close.toFixed(places),
      volume: (random() * 40).toFixed(3),
      trades: 50 + Math.floor(random() * 2_000),
    });
  }
  await store.write({ ticks: new Map(), last, candles: series, tickCount: 0 });
}
