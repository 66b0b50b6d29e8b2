import type { Logger } from 'pino';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { createPubsub } from '@tickdesk/xmpp';
import { createFeed, createFeedMetrics, ensureInstrumentNodes, type FeedSource } from '@tickdesk/feed-core';
import { createSyntheticFeed } from '@tickdesk/feed-synthetic';
import { createReplayFeed } from '@tickdesk/feed-replay';
import { createBinanceFeed } from '@tickdesk/feed-binance';
import type { DeskConfig } from './config.js';
import { connectAs, deskTarget } from './connect.js';

export function sourceFor(config: DeskConfig, log: Logger): FeedSource {
  const instruments = DEFAULT_INSTRUMENTS;
  switch (config.TICKDESK_FEED) {
    case 'replay':
      return createReplayFeed({
        path: config.TICKDESK_REPLAY_FILE,
        speed: config.TICKDESK_REPLAY_SPEED === 'max' ? 'max' : Number(config.TICKDESK_REPLAY_SPEED),
        progress: false,
      });
    case 'binance':
      return createBinanceFeed({ url: config.TICKDESK_BINANCE_URL, symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], reconnect: { initialMs: 500, maxMs: 30_000 }, log });
    default:
      // seq keeps increasing across restarts: it starts at the start time in microseconds.
      return createSyntheticFeed({ instruments, ratePerSecond: config.TICKDESK_FEED_RATE, seed: config.TICKDESK_FEED_SEED, firstSeq: Date.now() * 1000 });
  }
}

/** The feed service: one process, one XMPP session as the feed account. */
export async function runFeed(config: DeskConfig, log: Logger): Promise<() => Promise<void>> {
  const { xmpp, credentials } = deskTarget(config);
  const client = await connectAs(xmpp, credentials, 'feed', log, 'feed');
  const pubsub = createPubsub(client, `pubsub.${config.TICKDESK_DOMAIN}`);
  await ensureInstrumentNodes(pubsub, DEFAULT_INSTRUMENTS);
  const feed = createFeed({ source: sourceFor(config, log), pubsub, instruments: DEFAULT_INSTRUMENTS, log, metrics: createFeedMetrics() });
  await feed.start();
  log.info({ feed: config.TICKDESK_FEED }, 'feed running');
  return async () => {
    await feed.stop();
    await client.stop();
  };
}
