import { readFileSync } from 'node:fs';
import { SAMPLE_FILE } from '@tickdesk/feed-replay';

/** Path of the real Binance futures trades shipped with the replay feed (feeds/replay/data/README.md). */
export const SAMPLE = SAMPLE_FILE;

/** The sample parsed here, independently of the replay adapter. */
export function sampleTrades() {
  const [header, ...rows] = readFileSync(SAMPLE, 'utf8').trim().split('\n');
  const cols = header!.split(',');
  return rows.map((line) => {
    const f = Object.fromEntries(line.split(',').map((v, i): [string, string] => [cols[i]!, v]));
    return { seq: Number(f.id), price: f.price!, size: f.amount!, side: f.side!, eventMicros: Number(f.timestamp) };
  });
}
