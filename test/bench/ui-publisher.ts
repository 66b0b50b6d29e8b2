import { barsNode, encodeBar, formatMicros, type Instrument } from '@tickdesk/schemas';
import { createPubsub, type XmppClient } from '@tickdesk/xmpp';

const decimals = (step: string) => (step.split('.')[1] ?? '').length;

/**
 * Publishes the live 1-second bar of every instrument to bars/<SYMBOL> at `perSecond`
 * items per instrument (each a new close, the bar's high, low, volume and trades
 * following), as the feed account, with at most `window` publishes in flight. A
 * publish that finds the window full is skipped and counted, as a feed conflates.
 */
export function createBarPublisher({ client, pubsubHost, instruments, perSecond, window = 128 }: {
  client: XmppClient;
  pubsubHost: string;
  instruments: readonly Instrument[];
  perSecond: number;
  window?: number;
}) {
  const pubsub = createPubsub(client, pubsubHost);
  let seed = 7;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const state = instruments.map((ins) => ({
    ins,
    places: decimals(ins.tickSize),
    price: Number(ins.referencePrice ?? '100'),
    second: 0,
    open: 0,
    high: 0,
    low: 0,
    volume: 0,
    trades: 0,
  }));
  let inFlight = 0;
  let published = 0;
  let skipped = 0;
  let failed = 0;
  let timer: NodeJS.Timeout | undefined;
  let due = 0;
  let t0 = 0;

  function publishOne(s: (typeof state)[number], nowMs: number) {
    const second = Math.floor(nowMs / 1000);
    // A random walk of a few ticks; the bench's own float arithmetic never leaves it: the payload is a fixed-point string.
    s.price = Math.max(Number(s.ins.tickSize) * 10, s.price * (1 + (random() - 0.5) * 0.0004));
    if (second !== s.second) Object.assign(s, { second, open: s.price, high: s.price, low: s.price, volume: 0, trades: 0 });
    s.high = Math.max(s.high, s.price);
    s.low = Math.min(s.low, s.price);
    s.volume += 1 + Math.floor(random() * 5);
    s.trades += 1;
    const f = (x: number) => x.toFixed(s.places);
    const bar = encodeBar({
      symbol: s.ins.symbol, interval: '1s', start: formatMicros(second * 1_000_000),
      open: f(s.open), high: f(s.high), low: f(s.low), close: f(s.price), volume: String(s.volume), trades: s.trades,
    });
    inFlight++;
    pubsub.publish(barsNode(s.ins.symbol), bar, undefined, 10_000).then(
      () => published++,
      () => failed++,
    ).finally(() => inFlight--);
  }

  /** Every 10 ms, the items due since the start, round-robin over the instruments. */
  function pump() {
    const now = Date.now();
    const target = Math.floor(((now - t0) / 1000) * perSecond * state.length);
    for (; due < target; due++) {
      const s = state[due % state.length]!;
      if (inFlight >= window) skipped++;
      else publishOne(s, now);
    }
  }

  return {
    start() {
      t0 = Date.now();
      due = 0;
      timer = setInterval(pump, 10);
    },
    async stop() {
      clearInterval(timer);
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
    },
    counts: () => ({ published, skipped, failed, inFlight }),
  };
}
