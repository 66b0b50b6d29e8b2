import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { deskInstruments, type DeskTopology } from '@tickdesk/schemas';
import { loadRecorderConfig, startRecorderService } from '@tickdesk/recorder';
import type { DeskConfig } from './config.js';
import { connectAs, deskRedisOptions, deskTarget } from './connect.js';
import { startMetricsServer } from './metrics-server.js';

/**
 * The recorder service: subscribes to every ticks/ node and keeps history in Redis; its
 * metrics and own state on TICKDESK_RECORDER_METRICS_PORT, where the API's /health reads the state.
 * With TICKDESK_RECORDER_LEASE primary or standby (`up` sets it with TICKDESK_RECORDER_STANDBY=1)
 * it records an instrument only while it holds the instrument's lease; its state's detail
 * says how many it records.
 */
export async function runRecorder(
  deskConfig: DeskConfig,
  topology: DeskTopology,
  env: Record<string, string | undefined>,
  log: Logger,
): Promise<() => Promise<void>> {
  const { xmpp, credentials } = deskTarget(topology, 2);
  const redis = new Redis(deskRedisOptions(topology, credentials, 'recorder'));
  redis.on('error', (err: Error) => log.warn({ err }, 'redis connection error'));
  const config = loadRecorderConfig(env);
  // A standby on the recorder's own resource would replace the active recorder's session, and be replaced in turn (RFC 6120 §7.7.2.2).
  const client = await connectAs(
    xmpp,
    credentials,
    'recorder',
    log,
    config.lease === 'standby' ? 'recorder-standby' : 'recorder',
  );
  const symbols = deskInstruments(topology).map((i) => i.symbol);
  const service = await startRecorderService({
    client,
    redis,
    log,
    service: topology.pubsubHost,
    symbols,
    config,
    owner: `recorder-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`,
  });
  const leased = config.lease !== 'off';
  const server = await startMetricsServer({
    registry: service.recorder.registry,
    port: deskConfig.TICKDESK_RECORDER_METRICS_PORT,
    prefix: 'tickdesk_recorder_',
    log,
    state: () => {
      if (client.state() !== 'running') return { state: 'degraded', detail: 'XMPP session down' };
      if (!leased) return { state: service.recorder.state() };
      const held = service.held().length;
      return {
        state: service.recorder.state(),
        detail: held > 0 ? `recording ${held} of ${symbols.length} instruments` : 'standby: records no instrument',
      };
    },
  });
  log.info({ lease: config.lease }, 'recorder running');
  return async () => {
    await server.close();
    await service.stop();
    await client.stop();
    redis.disconnect();
  };
}
