import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { createPubsub } from '@tickdesk/xmpp';
import { createFeed, createFeedMetrics, ensureInstrumentNodes, type FeedSource } from '@tickdesk/feed-core';
import { createSyntheticFeed } from '@tickdesk/feed-synthetic';
import { createReplayFeed } from '@tickdesk/feed-replay';
import { createBinanceFeed } from '@tickdesk/feed-binance';
import type { DeskConfig } from './config.js';
import { connectAs } from './connect.js';
import type { Credentials } from './credentials.js';

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
  const home = config.TICKDESK_HOME;
  const credentials = JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as Credentials;
  const target = { service: `xmpp://127.0.0.1:${config.TICKDESK_XMPP_PORT}`, domain: config.TICKDESK_DOMAIN, ca: readFileSync(join(home, 'certs', 'ca.crt'), 'utf8') };
  const client = await connectAs(target, credentials, 'feed', log, 'feed');
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
