import { DEFAULT_INSTRUMENTS, type Instrument } from '@tickdesk/schemas';
import type { Feed } from './feed.js';
import type { FeedSource } from './source.js';

/** Two instruments and their symbols; the feeds under test get their ticks from `tickPusher`. */
export const instruments: Instrument[] = DEFAULT_INSTRUMENTS.slice(0, 2);
export const [A, B] = instruments.map((i) => i.symbol) as [string, string];
/** A source that never produces. */
export const idle: FeedSource = { name: 'test', state: () => 'running', run: () => new Promise(() => undefined) };

/** Pushes `n` ticks of `symbol` into the feed's sink at the clock's time, seq counting up across symbols. */
export function tickPusher(feed: Feed): (symbol: string, n: number) => void {
  let seq = 0;
  return (symbol, n) => {
    for (let i = 0; i < n; i++)
      feed.sink.push({ symbol, seq: ++seq, price: '1.5', size: '1', eventTimeMicros: Date.now() * 1000 });
  };
}
