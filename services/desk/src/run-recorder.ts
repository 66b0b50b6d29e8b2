import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DEFAULT_INSTRUMENTS, type DeskTopology } from '@tickdesk/schemas';
import { loadRecorderConfig, startRecorderService } from '@tickdesk/recorder';
import type { DeskConfig } from './config.js';
import { connectAs, deskRedisOptions, deskTarget } from './connect.js';
import { startMetricsServer } from './metrics-server.js';

/**
 * The recorder service: subscribes to every ticks/ node and keeps history in Redis; its
 * metrics and own state on TICKDESK_RECORDER_METRICS_PORT, where the API's /health reads the state.
 */
export async function runRecorder(config: DeskConfig, topology: DeskTopology, env: Record<string, string | undefined>, log: Logger): Promise<() => Promise<void>> {
  const { xmpp, credentials } = deskTarget(topology, 2);
  const redis = new Redis(deskRedisOptions(topology, credentials, 'recorder'));
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
  const client = await connectAs(xmpp, credentials, 'recorder', log, 'recorder');
  const service = await startRecorderService({
    client,
    redis,
    log,
    service: topology.pubsubHost,
    symbols: DEFAULT_INSTRUMENTS.map((i) => i.symbol),
    config: loadRecorderConfig(env),
  });
  const server = await startMetricsServer({
    registry: service.recorder.registry,
    port: config.TICKDESK_RECORDER_METRICS_PORT,
    prefix: 'tickdesk_recorder_',
    log,
    state: () => (client.state() !== 'running' ? { state: 'degraded', detail: 'XMPP session down' } : { state: service.recorder.state() }),
  });
  log.info('recorder running');
  return async () => {
    await server.close();
    await service.stop();
    await client.stop();
    redis.disconnect();
  };
}
