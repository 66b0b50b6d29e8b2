import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { deskInstruments, type DeskTopology } from '@tickdesk/schemas';
import { auditAnchorPath, startAlertService, loadAlertsConfig, loadWebhooksConfig } from '@tickdesk/alerts';
import type { DeskConfig } from './config.js';
import { connectAs, deskRedisOptions, deskTarget } from './connect.js';
import { startMetricsServer } from './metrics-server.js';

/** `slot 2: BTCUSDT ETHUSDT` (the instruments an engine holds), or why it holds none. */
function ownershipDetail(o: { slot?: number; instruments: string[]; renewFailing: boolean }): string {
  const held = o.instruments.length > 0 ? o.instruments.join(' ') : 'no instrument';
  return `${o.slot !== undefined ? `slot ${o.slot}` : 'no slot'}: ${held}${o.renewFailing ? ' (lease renewal failing)' : ''}`.slice(
    0,
    300,
  );
}

/** The alert engine as the `alerts` account: rules, delivery, audit, chat and ad-hoc commands. */
export async function runAlerts(
  config: DeskConfig,
  topology: DeskTopology,
  env: Record<string, string | undefined>,
  log: Logger,
): Promise<() => Promise<void>> {
  const { xmpp, credentials } = deskTarget(topology, 1);
  const alertsConfig = loadAlertsConfig(env);
  const redis = new Redis(deskRedisOptions(topology, credentials, 'alerts'));
  redis.on('error', (err: Error) => log.warn({ err }, 'redis connection error'));
  // Several engines share the account alerts@, each on its own resource; a receipt addressed
  // to one that died reaches the others through the bare JID (RFC 6121 §8.5.3.2.1).
  const client = await connectAs(
    xmpp,
    credentials,
    'alerts',
    log,
    alertsConfig.engines > 1 ? `engine-${process.pid}` : 'engine',
  );
  // `tickdesk up` names each engine's part (alerts, alerts-2…); the first writes the heartbeat /health reads.
  const part = env.TICKDESK_ALERTS_PART ?? 'alerts';
  const service = await startAlertService({
    client,
    redis,
    log,
    config: alertsConfig,
    domain: topology.domain,
    peers: topology.federation?.peers.map((p) => p.domain) ?? [],
    service: topology.pubsubHost,
    instruments: deskInstruments(topology),
    auditKey: credentials.audit,
    auditAnchorPath: auditAnchorPath(topology.paths.home),
    heartbeat: part === 'alerts',
    webhooks: loadWebhooksConfig(env),
    auditFeed: true,
    // Sentinel: an outbox or audit write counts once the replica has it (WAIT 1), so a fail-over cannot lose it.
    ...(topology.redis.mode === 'sentinel'
      ? { redisAck: { replicas: 1, timeoutMs: config.TICKDESK_REDIS_ACK_TIMEOUT_MS } }
      : {}),
  });
  const server = await startMetricsServer({
    registry: service.engine.metrics.registry,
    port: config.TICKDESK_ALERTS_METRICS_PORT,
    prefix: 'tickdesk_alerts_',
    log,
    state: () => ({
      state: service.engine.state(),
      ...(alertsConfig.engines > 1 ? { detail: ownershipDetail(service.engine.ownership()) } : {}),
    }),
  });
  log.info('alert engine running');
  return async () => {
    await server.close();
    await service.stop();
    await client.stop();
    redis.disconnect();
  };
}
