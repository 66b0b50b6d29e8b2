import { barsNode, encodeBar, type Instrument } from '@tickdesk/schemas';
import { createPubsub, type XmppClient } from '@tickdesk/xmpp';
import { createBarWalk } from './ui-bar-walk.js';

/**
 * Publishes the live 1-second bar of every instrument to bars/<SYMBOL> at `perSecond`
 * items per instrument (each a new close, the bar's high, low, volume and trades
 * following), as the feed account, with at most `window` publishes in flight. A
 * publish that finds the window full is skipped and counted, as a feed conflates.
 */
export function createBarPublisher({
  client,
  pubsubHost,
  instruments,
  perSecond,
  window = 128,
}: {
  client: XmppClient;
  pubsubHost: string;
  instruments: readonly Instrument[];
  perSecond: number;
  window?: number;
}) {
  const pubsub = createPubsub(client, pubsubHost);
  const walk = createBarWalk(instruments);
  let inFlight = 0;
  let published = 0;
  let skipped = 0;
  let failed = 0;
  let timer: NodeJS.Timeout | undefined;
  let due = 0;
  let t0 = 0;

  function publishOne(index: number, nowMs: number) {
    const bar = walk.next(index, nowMs);
    inFlight++;
    pubsub
      .publish(barsNode(bar.symbol), encodeBar(bar), undefined, 10_000)
      .then(
        () => published++,
        () => failed++,
      )
      .finally(() => inFlight--);
  }

  /** Every 10 ms, the items due since the start, round-robin over the instruments. */
  function pump() {
    const now = Date.now();
    const target = Math.floor(((now - t0) / 1000) * perSecond * walk.size);
    for (; due < target; due++) {
      if (inFlight >= window) skipped++;
      else publishOne(due % walk.size, now);
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
