import { Redis } from 'ioredis';
import { loginFor, redisConnection } from '@tickdesk/infra';
import type { Logger } from 'pino';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { auditAnchorPath, startAlertService, loadAlertsConfig } from '@tickdesk/alerts';
import type { DeskConfig } from './config.js';
import { connectAs, deskTarget } from './connect.js';
import { startMetricsServer } from './metrics-server.js';

/** The alert engine as the `alerts` account: rules, delivery, audit, chat and ad-hoc commands. */
export async function runAlerts(config: DeskConfig, env: Record<string, string | undefined>, log: Logger): Promise<() => Promise<void>> {
  const { xmpp, credentials } = deskTarget(config, 1);
  const alertsConfig = loadAlertsConfig(env);
  const redis = new Redis(redisConnection(config.TICKDESK_REDIS_PORT, loginFor(credentials.redis, 'alerts')));
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
  const client = await connectAs(xmpp, credentials, 'alerts', log, 'engine');
  const service = await startAlertService({
    client,
    redis,
    log,
    config: alertsConfig,
    domain: config.TICKDESK_DOMAIN,
    service: `pubsub.${config.TICKDESK_DOMAIN}`,
    instruments: DEFAULT_INSTRUMENTS,
    auditKey: credentials.audit,
    auditAnchorPath: auditAnchorPath(config.TICKDESK_HOME),
  });
  const server = await startMetricsServer({
    registry: service.engine.metrics.registry,
    port: config.TICKDESK_ALERTS_METRICS_PORT,
    prefix: 'tickdesk_alerts_',
    log,
    state: () => ({ state: service.engine.state() }),
  });
  log.info('alert engine running');
  return async () => {
    await server.close();
    await service.stop();
    await client.stop();
    redis.disconnect();
  };
}
