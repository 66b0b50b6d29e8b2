import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DeskTopology } from '@tickdesk/schemas';
import { createPubsub } from '@tickdesk/xmpp';
import { createFeed, createFeedMetrics, createPublisherLeases, ensureInstrumentNodes } from '@tickdesk/feed-core';
import type { DeskConfig } from './config.js';
import { connectAs, deskRedisOptions, deskTarget } from './connect.js';
import { planFor } from './feed-plan.js';
import { startMetricsServer } from './metrics-server.js';

/**
 * The feed service: one process, one XMPP session as the feed account; its metrics and
 * its own state (degraded while the XMPP session is down or publishes fail) on
 * TICKDESK_FEED_METRICS_PORT, where the API's /health reads the state. With
 * TICKDESK_FEED_LEASE primary or standby it publishes an instrument only while it holds
 * the instrument's lease (Redis user `feed`), so a standby process takes over a dead one.
 */
export async function runFeed(config: DeskConfig, topology: DeskTopology, log: Logger): Promise<() => Promise<void>> {
  const { xmpp, credentials } = deskTarget(topology);
  const metrics = createFeedMetrics();
  const plan = planFor(config, topology, { xmpp, credentials, registry: metrics.registry }, log);
  const { instruments } = plan;
  // Two sessions on one resource replace each other (RFC 6120 §7.7.2.2): a standby and the MQTT adapter have their own.
  const resource =
    plan.source.name === 'mqtt' ? 'feed-mqtt' : config.TICKDESK_FEED_LEASE === 'standby' ? 'feed-standby' : 'feed';
  const client = await connectAs(xmpp, credentials, 'feed', log, resource);
  const pubsub = createPubsub(client, topology.pubsubHost);
  // Node configuration survives a Prosody restart (docs/operations.md): a reconnect
  // publishes to the same nodes without creating them again.
  await ensureInstrumentNodes(pubsub, instruments);
  let redis: Redis | undefined;
  let leases: ReturnType<typeof createPublisherLeases> | undefined;
  if (config.TICKDESK_FEED_LEASE !== 'off') {
    redis = new Redis(deskRedisOptions(topology, credentials, 'feed'));
    redis.on('error', (err: Error) => log.warn({ err }, 'redis connection error'));
    leases = createPublisherLeases({
      redis,
      pubsub,
      log,
      symbols: instruments.map((i) => i.symbol),
      owner: `feed-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`,
      ttlMs: config.TICKDESK_FEED_LEASE_TTL_MS,
      standby: config.TICKDESK_FEED_LEASE === 'standby',
    });
  }
  const feed = createFeed({
    source: plan.source,
    pubsub,
    instruments,
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
  log.info(
    { feed: plan.source.name, instruments: instruments.length, lease: config.TICKDESK_FEED_LEASE },
    'feed running',
  );
  return async () => {
    await server.close();
    await feed.stop();
    await leases?.stop();
    redis?.disconnect();
    await client.stop();
  };
}
