import { DEFAULT_SENTINEL_MASTER } from '@tickdesk/infra';
import { DEFAULT_INSTRUMENTS, type DeskTopology, type Instrument } from '@tickdesk/schemas';
import { feedSources, redisPorts, type DeskConfig } from './config.js';
import type { DeskInfra } from './desk-infra.js';
import type { DeskServices } from './desk-services.js';
import { failoverLines } from './failover-preset.js';

/** What `up` prints once the desk runs: where each part listens, who may log in, where the logs are. */
export function deskBanner({
  config,
  infra,
  services,
  federation,
  instruments,
  mqttLog,
  logs,
  deskLog,
}: {
  config: DeskConfig;
  infra: DeskInfra;
  services: DeskServices;
  federation: DeskTopology['federation'];
  /** The desk's catalogue (deskInstruments): one ticks/ and bars/ node each. */
  instruments: readonly Instrument[];
  /** The MQTT broker's log, when the desk runs one (TICKDESK_FEED lists mqtt). */
  mqttLog?: string | undefined;
  logs: string;
  deskLog: string;
}): string {
  const server = config.TICKDESK_XMPP_SERVER;
  const api = config.TICKDESK_API_PORT;
  const redisLayout = redisPorts(config);
  const { extraEngines, metrics } = services;
  const users = Object.values(infra.credentials.accounts)
    .filter((a) => a.role !== 'service')
    .map((a) => `${a.user} (${a.role})`);
  return [
    '',
    'tickdesk is running',
    `  XMPP (STARTTLS, SCRAM)   127.0.0.1:${config.TICKDESK_XMPP_PORT}   ${server}, domain ${infra.domain}, pubsub ${infra.pubsubHost}`,
    `  dashboard                http://localhost:${api}   log in with an XMPP account, e.g. alice@${infra.domain}`,
    `  REST API                 http://localhost:${api}/v1 (OpenAPI at /docs), login with an XMPP account`,
    `  XMPP WebSocket           ws://localhost:${api}/xmpp-websocket (proxied to 127.0.0.1:${config.TICKDESK_XMPP_HTTP_PORT})`,
    config.TICKDESK_REDIS_MODE === 'sentinel'
      ? `  Redis (Sentinel, AOF)    primary 127.0.0.1:${infra.redis.port}, replica :${infra.redis.port === config.TICKDESK_REDIS_PORT ? redisLayout.replica : config.TICKDESK_REDIS_PORT}, sentinels :${redisLayout.sentinels.join(', :')} (master ${DEFAULT_SENTINEL_MASTER})`
      : `  Redis (AOF)              127.0.0.1:${config.TICKDESK_REDIS_PORT}`,
    `  feed                     ${feedSources(config)
      .map((f) => feedText(f, config, instruments))
      .join(
        '; ',
      )}${services.standbyFeed ? `, with a standby (one publisher per instrument, lease ${config.TICKDESK_FEED_LEASE_TTL_MS} ms)` : ''}`,
    ...(services.standbyRecorder
      ? [
          `  recorder                 with a standby (one recorder per instrument, lease ${services.recorderLeaseTtlMs} ms)`,
        ]
      : []),
    `  alerts                   chat with alerts@${infra.domain} ("help"), or its ad-hoc commands${extraEngines.length ? `; ${extraEngines.length + 1} engines sharing the instruments` : ''}`,
    ...failoverLines(services.failover, {
      server,
      nodes: config.TICKDESK_XMPP_NODES,
      redisMode: config.TICKDESK_REDIS_MODE,
      parts: services.names,
    }),
    ...(federation
      ? [
          `  federation (s2s)         ${federation.s2sInterface}:${federation.s2sPort}, TLS and certificates only; peers ${federation.peers.map((p) => `${p.domain} (${p.host}:${p.port})`).join(', ')}`,
        ]
      : []),
    ...(mqttLog
      ? [
          `  MQTT broker (TLS only)   ${config.TICKDESK_MQTT_INTERFACE}:${config.TICKDESK_MQTT_PORT} for sensors; add a device with: npm run tickdesk -- devices add <name> --topics <prefix>`,
        ]
      : []),
    `  nodes                    ticks/<SYMBOL>, bars/<SYMBOL> for ${instruments.map((i) => i.symbol).join(', ')}`,
    `  users                    ${users.join(', ')}`,
    `  credentials              ${infra.credentialsPath}`,
    `  CA certificate           ${infra.caPath}`,
    `  health, metrics          http://localhost:${api}/health, /metrics (API)`,
    `  service metrics          ${(['feed', 'recorder', 'alerts'] as const).map((s) => `${s} http://127.0.0.1:${metrics[s]}/metrics`).join(', ')}`,
    `  supervision              every part restarts when it exits; restarts in ${deskLog} and \`tickdesk status\``,
    `  logs                     ${logs}, ${infra.xmpp.logPath}, ${infra.redisParts.map((p) => p.logPath).join(', ')}${mqttLog ? `, ${mqttLog}` : ''}`,
    '',
    'Press Ctrl-C to stop.',
  ].join('\n');
}

/** One feed source as the banner says it: the synthetic feed's rate, the mqtt feed's sensors. */
function feedText(source: string, config: DeskConfig, instruments: readonly Instrument[]): string {
  if (source === 'synthetic')
    return `synthetic, ${config.TICKDESK_FEED_RATE} ticks/s over ${DEFAULT_INSTRUMENTS.length} instruments`;
  if (source === 'mqtt') {
    const n = instruments.filter((i) => i.kind === 'sensor').length;
    return `mqtt, ${n} sensor${n === 1 ? '' : 's'} of ${config.TICKDESK_MQTT_MAP_FILE}`;
  }
  return source;
}
