import { Type, type Static } from '@sinclair/typebox';
import { fileURLToPath } from 'node:url';
import { SAMPLE_FILE } from '@tickdesk/feed-replay';
import { SAMPLE_MAP_FILE } from '@tickdesk/feed-mqtt';
import {
  DEFAULT_MAX_PEERS,
  DEFAULT_MQTT_SENSORS_MAX,
  DEFAULT_S2S_PORT,
  loadEnvConfig,
  type Env,
  type EnvSpec,
} from '@tickdesk/schemas';
import { resolveFailoverPreset } from './failover-preset.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const Port = (def: number) => Type.Integer({ minimum: 1, maximum: 65535, default: def });
/** A cluster on one machine beyond a few nodes only splits the same cores further. */
export const MAX_XMPP_NODES = 9;
/** Node i (from 0) listens on each base port + i·step. */
export const XMPP_NODE_PORT_STEP = 100;

/** The desk's environment: every variable, its default, and its check. */
export const DeskEnv = Type.Object({
  TICKDESK_HOME: Type.String({ minLength: 1, default: `${REPO_ROOT}.tickdesk` }),
  /** 1: the fail-over desk, a preset for the variables of FAILOVER_PRESET that are left unset (docs/operations.md, "The fail-over desk"). */
  TICKDESK_FAILOVER: Type.Integer({ minimum: 0, maximum: 1, default: 0 }),
  TICKDESK_DOMAIN: Type.String({ pattern: '^[a-z0-9.-]+$', default: 'desk.localhost' }),
  /** Which XMPP server the desk runs: Prosody (light, one process) or ejabberd (Erlang, clusterable). */
  TICKDESK_XMPP_SERVER: Type.Union([Type.Literal('prosody'), Type.Literal('ejabberd')], { default: 'prosody' }),
  TICKDESK_XMPP_PORT: Port(5222),
  TICKDESK_XMPP_TLS_PORT: Port(5223),
  TICKDESK_XMPP_HTTP_PORT: Port(5280),
  /** ejabberd's Erlang distribution port, bound to loopback (ejabberdctl talks to the node through it). */
  TICKDESK_XMPP_DIST_PORT: Port(5210),
  /** ejabberd nodes joined into one cluster on this machine (Prosody: 1 only); node i's ports are the ones above + (i-1)·100. */
  TICKDESK_XMPP_NODES: Type.Integer({ minimum: 1, maximum: MAX_XMPP_NODES, default: 1 }),
  TICKDESK_REDIS_PORT: Port(6380),
  /**
   * single: one redis-server with AOF. sentinel: a primary (TICKDESK_REDIS_PORT), a replica
   * (TICKDESK_REDIS_PORT + 1) and three sentinels (TICKDESK_REDIS_SENTINEL_PORT + 0, 1, 2)
   * with automatic fail-over; the engine's outbox and audit writes count once the replica has them.
   */
  TICKDESK_REDIS_MODE: Type.Union([Type.Literal('single'), Type.Literal('sentinel')], { default: 'single' }),
  TICKDESK_REDIS_SENTINEL_PORT: Port(26380),
  /** Sentinel mode: how long the primary may be silent before the sentinels call it down and fail over. */
  TICKDESK_REDIS_DOWN_AFTER_MS: Type.Integer({ minimum: 1000, maximum: 60_000, default: 5000 }),
  /** Sentinel mode: how long one WAIT for the replica's acknowledgement of an outbox or audit write lasts (3 tries before the write is reported as not acknowledged). */
  TICKDESK_REDIS_ACK_TIMEOUT_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 1000 }),
  /** The REST API's port; the API reads its other settings (TICKDESK_API_*) itself. */
  TICKDESK_API_PORT: Port(8080),
  /** The feed sources `up` runs, one process each, as a comma-separated list: at most one market feed (synthetic, replay, binance) and mqtt (`synthetic,mqtt`). */
  TICKDESK_FEED: Type.String({ minLength: 1, maxLength: 100, default: 'synthetic' }),
  /** The sensor map (docs/protocol.md, "Sensor values over MQTT"): MQTT topic filters → sensor instruments; read when TICKDESK_FEED lists mqtt. */
  TICKDESK_MQTT_MAP_FILE: Type.String({ minLength: 1, default: SAMPLE_MAP_FILE }),
  /** At most this many entries in TICKDESK_MQTT_MAP_FILE (each one a sensor instrument and its nodes). */
  TICKDESK_MQTT_SENSORS_MAX: Type.Integer({ minimum: 1, maximum: 100_000, default: DEFAULT_MQTT_SENSORS_MAX }),
  TICKDESK_FEED_RATE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 200 }),
  TICKDESK_FEED_SEED: Type.Integer({ default: 42 }),
  /** 1: `up` runs a second, standby feed process; each instrument is published by whichever holds its lease (docs/operations.md, "Standby feed"). */
  TICKDESK_FEED_STANDBY: Type.Integer({ minimum: 0, maximum: 1, default: 0 }),
  /** This feed process's part in the leases: off (publish everything), primary, standby (first try after a TTL); `up` sets it. */
  TICKDESK_FEED_LEASE: Type.Union([Type.Literal('off'), Type.Literal('primary'), Type.Literal('standby')], {
    default: 'off',
  }),
  /** A feed's lease on an instrument: a dead or stalled publisher's instruments are taken over within about this. */
  TICKDESK_FEED_LEASE_TTL_MS: Type.Integer({ minimum: 300, maximum: 60_000, default: 3000 }),
  TICKDESK_REPLAY_FILE: Type.String({ default: SAMPLE_FILE }),
  TICKDESK_REPLAY_SPEED: Type.String({ pattern: '^(max|[0-9]+(\\.[0-9]+)?)$', default: '1' }),
  TICKDESK_BINANCE_URL: Type.String({ default: 'wss://fstream.binance.com/stream' }),
  TICKDESK_LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /** Loopback ports of the services' Prometheus endpoints; 0: `up` picks free ones and records them in desk.json. */
  TICKDESK_FEED_METRICS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  TICKDESK_RECORDER_METRICS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  TICKDESK_ALERTS_METRICS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  /** `up` gives up on a part (and stops the desk) after more than this many exits within the window. */
  TICKDESK_RESTART_MAX: Type.Integer({ minimum: 0, maximum: 1000, default: 10 }),
  TICKDESK_RESTART_WINDOW_MS: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 120_000 }),
  /** JSON file of the partner desks this desk links with over XMPP server-to-server (docs/operations.md, "Federated desks"); empty: none, and no s2s listener. */
  TICKDESK_PEERS_FILE: Type.String({ default: '' }),
  /** Where this desk accepts server-to-server links from its peers (only with TICKDESK_PEERS_FILE). */
  TICKDESK_S2S_PORT: Port(DEFAULT_S2S_PORT),
  TICKDESK_S2S_INTERFACE: Type.String({ pattern: '^[A-Za-z0-9.:*-]{1,253}$', default: '127.0.0.1' }),
  /** At most this many peers in TICKDESK_PEERS_FILE. */
  TICKDESK_PEERS_MAX: Type.Integer({ minimum: 1, maximum: 1024, default: DEFAULT_MAX_PEERS }),
  /** The MQTT broker's TLS listener for sensors (only when TICKDESK_FEED lists mqtt; docs/operations.md, "Sensors (MQTT)"). */
  TICKDESK_MQTT_PORT: Port(8883),
  /** A name or IPv4 address (0.0.0.0: every interface; services then reach it on loopback). */
  TICKDESK_MQTT_INTERFACE: Type.String({ pattern: '^[A-Za-z0-9.-]{1,253}$', default: '127.0.0.1' }),
  /** At most this many devices (broker accounts) on the MQTT broker. */
  TICKDESK_MQTT_DEVICES_MAX: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
  /** 1: with mqtt in TICKDESK_FEED, `up` runs the demo devices of the sample map's sensors (docs/operations.md, "Sensors over MQTT"); 0: never. */
  TICKDESK_MQTT_DEMO: Type.Integer({ minimum: 0, maximum: 1, default: 1 }),
  /** The topology file a service reads (up sets it to <TICKDESK_HOME>/topology.json for its services); empty: that file while a desk runs there, else built from the variables above. */
  TICKDESK_TOPOLOGY: Type.String({ default: '' }),
});
export type DeskConfig = Static<typeof DeskEnv>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

// The desk's fields are named as its variables.
const SPEC: EnvSpec<typeof DeskEnv> = {
  schema: DeskEnv,
  vars: Object.fromEntries(Object.keys(DeskEnv.properties).map((k) => [k, k])),
  error: (message) => new ConfigError(message),
};

/** Read and check the environment once; a bad value names its variable. */
export function loadDeskConfig(env: Env): DeskConfig {
  const config = loadEnvConfig(SPEC, resolveFailoverPreset(env, (m) => new ConfigError(m)).env, 'desk config');
  if (config.TICKDESK_XMPP_NODES > 1 && config.TICKDESK_XMPP_SERVER !== 'ejabberd') {
    throw new ConfigError(
      `TICKDESK_XMPP_NODES=${config.TICKDESK_XMPP_NODES} needs TICKDESK_XMPP_SERVER=ejabberd: Prosody has no clustering (set TICKDESK_XMPP_NODES=1 or choose ejabberd)`,
    );
  }
  checkFeedSources(config);
  assertDistinctPorts(config);
  return config;
}

/** What TICKDESK_FEED may list. */
export const FEED_SOURCES = ['synthetic', 'replay', 'binance', 'mqtt'] as const;
export type FeedSourceName = (typeof FEED_SOURCES)[number];
const MARKET_SOURCES: readonly string[] = ['synthetic', 'replay', 'binance'];

function checkFeedSources(config: DeskConfig): void {
  const listed = feedSources(config);
  const bad = (why: string) => new ConfigError(`TICKDESK_FEED=${JSON.stringify(config.TICKDESK_FEED)}: ${why}`);
  if (listed.length === 0) throw bad(`list one or more of ${FEED_SOURCES.join(', ')}`);
  for (const [i, s] of listed.entries()) {
    if (!(FEED_SOURCES as readonly string[]).includes(s))
      throw bad(`${JSON.stringify(s)} is no feed source; each must be one of ${FEED_SOURCES.join(', ')}`);
    if (listed.indexOf(s) !== i) throw bad(`${s} is listed twice`);
  }
  const markets = listed.filter((s) => MARKET_SOURCES.includes(s));
  if (markets.length > 1)
    throw bad(
      `${markets.join(' and ')} would publish the same market instruments: list at most one of ${MARKET_SOURCES.join(', ')}`,
    );
  // The MQTT adapter's one fixed client id would let a standby take the broker session from the active adapter.
  if (config.TICKDESK_FEED_STANDBY === 1 && listed[0] === 'mqtt')
    throw bad(
      'TICKDESK_FEED_STANDBY=1 stands by for the first feed listed, which may not be mqtt: list the market feed first',
    );
}

const NODE_PORT_NAMES: Record<string, string> = {
  c2sPort: 'client',
  c2sDirectTlsPort: 'direct-TLS',
  httpPort: 'HTTP',
  distPort: 'distribution',
};

/** A port used twice would be found taken at start-up and blamed on the part that starts second. */
function assertDistinctPorts(config: DeskConfig): void {
  const owner = new Map<number, string>([
    [config.TICKDESK_REDIS_PORT, 'TICKDESK_REDIS_PORT'],
    [config.TICKDESK_API_PORT, 'TICKDESK_API_PORT'],
  ]);
  const claim = (port: number, setting: string) => {
    const other = owner.get(port);
    if (other !== undefined) throw new ConfigError(`port ${port} is both ${other} and ${setting}: choose other ports`);
    owner.set(port, setting);
  };
  if (config.TICKDESK_PEERS_FILE) claim(config.TICKDESK_S2S_PORT, 'TICKDESK_S2S_PORT');
  if (feedSources(config).includes('mqtt')) claim(config.TICKDESK_MQTT_PORT, 'TICKDESK_MQTT_PORT');
  const redis = redisPorts(config);
  for (const [port, what] of [
    [redis.replica, "the Redis replica's port (TICKDESK_REDIS_PORT + 1)"],
    ...redis.sentinels.map((p, i) => [p, `Redis sentinel ${i + 1}'s port (TICKDESK_REDIS_SENTINEL_PORT + ${i})`]),
  ] as Array<[number | undefined, string]>) {
    if (port === undefined) continue;
    if (port > 65535) throw new ConfigError(`${what} would be ${port}: choose a lower port`);
    const other = owner.get(port);
    if (other !== undefined) throw new ConfigError(`port ${port} is both ${other} and ${what}: choose other ports`);
    owner.set(port, what);
  }
  xmppNodePorts(config).forEach((node, i) => {
    for (const [field, port] of Object.entries(node)) {
      const what =
        i === 0
          ? `TICKDESK_XMPP ${NODE_PORT_NAMES[field]} port`
          : `XMPP node ${i + 1}'s ${NODE_PORT_NAMES[field]} port`;
      const other = owner.get(port);
      if (other !== undefined) throw new ConfigError(`port ${port} is both ${other} and ${what}: choose other ports`);
      owner.set(port, what);
    }
  });
}

// A type alias, not an interface: Object.entries and Object.values then read its fields as numbers.
export type XmppNodePorts = {
  c2sPort: number;
  c2sDirectTlsPort: number;
  httpPort: number;
  distPort: number;
};

/** Each XMPP node's own loopback ports: node 1 on the configured ones, node i+1 on them + i·XMPP_NODE_PORT_STEP. */
export function xmppNodePorts(config: DeskConfig): XmppNodePorts[] {
  const base: Array<[keyof XmppNodePorts, keyof DeskConfig]> = [
    ['c2sPort', 'TICKDESK_XMPP_PORT'],
    ['c2sDirectTlsPort', 'TICKDESK_XMPP_TLS_PORT'],
    ['httpPort', 'TICKDESK_XMPP_HTTP_PORT'],
    ['distPort', 'TICKDESK_XMPP_DIST_PORT'],
  ];
  return Array.from({ length: config.TICKDESK_XMPP_NODES ?? 1 }, (_, i) => {
    const node = {} as XmppNodePorts;
    for (const [field, key] of base) {
      const port = (config[key] as number) + i * XMPP_NODE_PORT_STEP;
      if (port > 65535)
        throw new ConfigError(
          `${key}=${config[key]} leaves no port for XMPP node ${i + 1} (${port}): node i uses ${key} + (i-1)·${XMPP_NODE_PORT_STEP}`,
        );
      node[field] = port;
    }
    return node;
  });
}

/** The feed sources of TICKDESK_FEED, a comma-separated list (`synthetic,mqtt`). */
export const feedSources = (config: Pick<DeskConfig, 'TICKDESK_FEED'>): FeedSourceName[] =>
  String(config.TICKDESK_FEED)
    .split(',')
    .map((s) => s.trim())
    // Checked by loadDeskConfig: every name one of FEED_SOURCES.
    .filter((s) => s !== '') as FeedSourceName[];

/** The Redis parts' ports: the primary alone (single), or with the replica and the three sentinels (sentinel). */
export function redisPorts(config: DeskConfig): { primary: number; replica?: number; sentinels: number[] } {
  if (config.TICKDESK_REDIS_MODE !== 'sentinel') return { primary: config.TICKDESK_REDIS_PORT, sentinels: [] };
  const base = config.TICKDESK_REDIS_SENTINEL_PORT;
  return {
    primary: config.TICKDESK_REDIS_PORT,
    replica: config.TICKDESK_REDIS_PORT + 1,
    sentinels: [base, base + 1, base + 2],
  };
}
