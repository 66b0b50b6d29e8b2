import { Redis } from 'ioredis';
import { DEFAULT_INSTRUMENTS, type Instrument } from '@tickdesk/schemas';
import { startAlertService, type AlertsConfig } from '@tickdesk/alerts';
import { connect, credentials, desk, log } from './helpers.js';

/**
 * An alert engine in this test process on the shared desk, over every default instrument (or `instruments`): its own Redis
 * connection, the `alerts` account signed in as `resource`, and the `feed` account (as `resource`) to publish
 * ticks with. `stop` ends them in reverse.
 */
export async function startLocalEngine(
  config: AlertsConfig,
  resource: string,
  instruments: readonly Instrument[] = DEFAULT_INSTRUMENTS,
) {
  const redis = new Redis(desk().redisUrl);
  const engineClient = await connect('alerts', resource);
  const feed = await connect('feed', resource);
  const service = await startAlertService({
    client: engineClient,
    redis,
    log,
    config,
    domain: desk().domain,
    service: desk().pubsubHost,
    instruments,
    auditKey: credentials().audit,
  });
  return {
    redis,
    engineClient,
    feed,
    service,
    async stop(): Promise<void> {
      await service.stop();
      await engineClient.stop();
      await feed.stop();
      redis.disconnect();
    },
  };
}

export type LocalEngine = Awaited<ReturnType<typeof startLocalEngine>>;
