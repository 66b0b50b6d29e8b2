import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DEFAULT_INSTRUMENTS, type DeskTopology } from '@tickdesk/schemas';
import { createPubsub } from '@tickdesk/xmpp';
import {
  createFeed,
  createFeedMetrics,
  createPublisherLeases,
  ensureInstrumentNodes,
  type FeedSource,
} from '@tickdesk/feed-core';
import { createSyntheticFeed } from '@tickdesk/feed-synthetic';
import { createReplayFeed } from '@tickdesk/feed-replay';
import { createBinanceFeed } from '@tickdesk/feed-binance';
import type { DeskConfig } from './config.js';
import { connectAs, deskRedisOptions, deskTarget } from './connect.js';
import { startMetricsServer } from './metrics-server.js';

function sourceFor(config: DeskConfig, log: Logger): FeedSource {
  const instruments = DEFAULT_INSTRUMENTS;
  switch (config.TICKDESK_FEED) {
    case 'replay':
      return createReplayFeed({
        path: config.TICKDESK_REPLAY_FILE,
        speed: config.TICKDESK_REPLAY_SPEED === 'max' ? 'max' : Number(config.TICKDESK_REPLAY_SPEED),
        progress: false,
      });
    case 'binance':
      return createBinanceFeed({
        url: config.TICKDESK_BINANCE_URL,
        symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'],
        reconnect: { initialMs: 500, maxMs: 30_000 },
        log,
      });
    default:
      // seq keeps increasing across restarts: it starts at the start time in microseconds.
      return createSyntheticFeed({
        instruments,
        ratePerSecond: config.TICKDESK_FEED_RATE,
        seed: config.TICKDESK_FEED_SEED,
        firstSeq: Date.now() * 1000,
      });
  }
}

/**
 * The feed service: one process, one XMPP session as the feed account; its metrics and
 * its own state (degraded while the XMPP session is down or publishes fail) on
 * TICKDESK_FEED_METRICS_PORT, where the API's /health reads the state. With
 * TICKDESK_FEED_LEASE primary or standby it publishes an instrument only while it holds
 * the instrument's lease (Redis user `feed`), so a standby process takes over a dead one.
 */
export async function runFeed(config: DeskConfig, topology: DeskTopology, log: Logger): Promise<() => Promise<void>> {
  const { xmpp, credentials } = deskTarget(topology);
  // A standby on the feed's own resource would replace the active feed's session, and be replaced in turn (RFC 6120 §7.7.2.2).
  const client = await connectAs(
    xmpp,
    credentials,
    'feed',
    log,
    config.TICKDESK_FEED_LEASE === 'standby' ? 'feed-standby' : 'feed',
  );
  const pubsub = createPubsub(client, topology.pubsubHost);
  // Node configuration survives a Prosody restart (docs/operations.md): a reconnect
  // publishes to the same nodes without creating them again.
  await ensureInstrumentNodes(pubsub, DEFAULT_INSTRUMENTS);
  const metrics = createFeedMetrics();
  let redis: Redis | undefined;
  let leases: ReturnType<typeof createPublisherLeases> | undefined;
  if (config.TICKDESK_FEED_LEASE !== 'off') {
    redis = new Redis(deskRedisOptions(topology, credentials, 'feed'));
    redis.on('error', (err: Error) => log.warn({ err }, 'redis connection error'));
    leases = createPublisherLeases({
      redis,
      pubsub,
      log,
      symbols: DEFAULT_INSTRUMENTS.map((i) => i.symbol),
      owner: `feed-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`,
      ttlMs: config.TICKDESK_FEED_LEASE_TTL_MS,
      standby: config.TICKDESK_FEED_LEASE === 'standby',
    });
  }
  const feed = createFeed({
    source: sourceFor(config, log),
    pubsub,
    instruments: DEFAULT_INSTRUMENTS,
    log,
    metrics,
    connected: () => client.state() === 'running',
    gate: leases?.gate,
  });
  await feed.start();
  await leases?.start();
  const server = await startMetricsServer({
    registry: metrics.registry,
    port: config.TICKDESK_FEED_METRICS_PORT,
    prefix: 'tickdesk_feed_',
    log,
    state: () => {
      if (client.state() !== 'running') return { state: 'degraded', detail: 'XMPP session down' };
      const s = feed.state();
      if (s === 'faulted') return { state: 'degraded', detail: 'feed source faulted' };
      const held = leases?.held();
      return held
        ? { state: s, detail: held.length > 0 ? `publishing ${held.join(', ')}` : 'standby: holds no instrument' }
        : { state: s };
    },
  });
  log.info({ feed: config.TICKDESK_FEED, lease: config.TICKDESK_FEED_LEASE }, 'feed running');
  return async () => {
    await server.close();
    await feed.stop();
    await leases?.stop();
    redis?.disconnect();
    await client.stop();
  };
}
