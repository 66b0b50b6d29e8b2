import { readFileSync } from 'node:fs';

/** Real Binance futures trades (shared/data/README.md). */
export const SAMPLE = new URL('../../../shared/data/binance-futures-btcusdt-trades.csv', import.meta.url);

/** The shared sample parsed here, independently of the replay adapter. */
export function sampleTrades() {
  const [header, ...rows] = readFileSync(SAMPLE, 'utf8').trim().split('\n');
  const cols = header!.split(',');
  return rows.map((line) => {
    const f = Object.fromEntries(line.split(',').map((v, i) => [cols[i], v]));
    return { seq: Number(f.id), price: f.price!, size: f.amount!, side: f.side!, eventMicros: Number(f.timestamp) };
  });
}
