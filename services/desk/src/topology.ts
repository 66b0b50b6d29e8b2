import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  parseDeskTopology,
  parsePeers,
  TOPOLOGY_FILE,
  type DeskFederation,
  type DeskTopology,
  type HostPort,
  type RedisEndpoint,
} from '@tickdesk/schemas';
import { DEFAULT_SENTINEL_MASTER } from '@tickdesk/infra';
import { ConfigError, feedSources, redisPorts, XMPP_NODE_PORT_STEP, xmppNodePorts, type DeskConfig } from './config.js';
import { sensorsOf } from './topology-sensors.js';

/** Every part of a desk on one machine listens on loopback. */
const LOOPBACK = '127.0.0.1';

/**
 * The desk's topology from its configuration: domain, pubsub service, XMPP server and
 * each node's ports (node i's are the configured ones + (i-1)·XMPP_NODE_PORT_STEP), the
 * API, Redis and the runtime folder's CA and credentials files; with the mqtt feed, the
 * broker and the sensors of TICKDESK_MQTT_MAP_FILE.
 */
export function buildDeskTopology(config: DeskConfig): DeskTopology {
  const home = config.TICKDESK_HOME;
  return {
    domain: config.TICKDESK_DOMAIN,
    pubsubHost: `pubsub.${config.TICKDESK_DOMAIN}`,
    xmppServer: config.TICKDESK_XMPP_SERVER,
    xmppNodes: xmppNodePorts(config).map((ports) => ({ host: LOOPBACK, ...ports })),
    api: { host: LOOPBACK, port: config.TICKDESK_API_PORT },
    redis: redisEndpoint(config),
    paths: { home, ca: join(home, 'certs', 'ca.crt'), credentials: join(home, 'credentials.json') },
    ...federationOf(config),
    ...mqttOf(config),
    ...sensorsOf({
      feeds: feedSources(config),
      mapFile: config.TICKDESK_MQTT_MAP_FILE,
      maxSensors: config.TICKDESK_MQTT_SENSORS_MAX,
    }),
  };
}

/** Where the services reach the MQTT broker: its interface, or loopback when it listens on every interface. */
function mqttOf(config: DeskConfig): { mqtt?: HostPort } {
  if (!feedSources(config).includes('mqtt')) return {};
  const host = config.TICKDESK_MQTT_INTERFACE === '0.0.0.0' ? LOOPBACK : config.TICKDESK_MQTT_INTERFACE;
  return { mqtt: { host, port: config.TICKDESK_MQTT_PORT } };
}

/**
 * The peers of TICKDESK_PEERS_FILE (none: no federation part, no s2s). A CA path relative
 * to the file is taken from the file's folder. Prosody, or ejabberd: one node or a cluster, each
 * node with its own s2s listener (TICKDESK_S2S_PORT + (i-1)·XMPP_NODE_PORT_STEP, desk-xmpp.ts).
 */
function federationOf(config: DeskConfig): { federation?: DeskFederation } {
  const file = config.TICKDESK_PEERS_FILE;
  if (!file) return {};
  const source = `TICKDESK_PEERS_FILE=${JSON.stringify(file)}`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${source} is not readable: ${(err as Error).message}`);
  }
  let peers;
  try {
    peers = parsePeers(text, { source, ownDomain: config.TICKDESK_DOMAIN, maxPeers: config.TICKDESK_PEERS_MAX });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (peers.length === 0) return {};
  assertNodeS2sPorts(config);
  const resolved = peers.map((p) => ({ ...p, ca: resolve(dirname(file), p.ca) }));
  resolved.forEach((p, i) => {
    if (!existsSync(p.ca))
      throw new ConfigError(`${source} entry ${i + 1} (${p.domain}): its CA certificate ${p.ca} does not exist`);
  });
  return {
    federation: { s2sPort: config.TICKDESK_S2S_PORT, s2sInterface: config.TICKDESK_S2S_INTERFACE, peers: resolved },
  };
}

const NODE_PORT_NAMES = {
  c2sPort: 'client',
  c2sDirectTlsPort: 'direct-TLS',
  httpPort: 'HTTP',
  distPort: 'distribution',
};

/**
 * Node i of an ejabberd cluster listens for s2s on TICKDESK_S2S_PORT + (i-1)·step
 * (desk-xmpp.ts); node 1's port is checked with the desk's other ports (config.ts).
 */
function assertNodeS2sPorts(config: DeskConfig): void {
  const owner = new Map<number, string>([
    [config.TICKDESK_API_PORT, 'TICKDESK_API_PORT'],
    [config.TICKDESK_REDIS_PORT, 'TICKDESK_REDIS_PORT'],
  ]);
  xmppNodePorts(config).forEach((node, i) => {
    for (const [field, port] of Object.entries(node))
      owner.set(port, `XMPP node ${i + 1}'s ${NODE_PORT_NAMES[field as keyof typeof NODE_PORT_NAMES]} port`);
  });
  for (let i = 1; i < config.TICKDESK_XMPP_NODES; i++) {
    const step = i * XMPP_NODE_PORT_STEP;
    const port = config.TICKDESK_S2S_PORT + step;
    if (port > 65535)
      throw new ConfigError(
        `TICKDESK_S2S_PORT=${config.TICKDESK_S2S_PORT} leaves no s2s port for XMPP node ${i + 1} (${port}): node i listens on TICKDESK_S2S_PORT + (i-1)·${XMPP_NODE_PORT_STEP}`,
      );
    const other = owner.get(port);
    if (other !== undefined)
      throw new ConfigError(
        `port ${port} is both ${other} and XMPP node ${i + 1}'s s2s port (TICKDESK_S2S_PORT + ${step}): choose other ports`,
      );
  }
}

function redisEndpoint(config: DeskConfig): RedisEndpoint {
  if (config.TICKDESK_REDIS_MODE !== 'sentinel')
    return { mode: 'single', host: LOOPBACK, port: config.TICKDESK_REDIS_PORT };
  return {
    mode: 'sentinel',
    masterName: DEFAULT_SENTINEL_MASTER,
    sentinels: redisPorts(config).sentinels.map((port) => ({ host: LOOPBACK, port })),
  };
}

/**
 * The topology a service or command runs with: the file `up` wrote (TICKDESK_TOPOLOGY,
 * which up sets for every service it starts, else topology.json of TICKDESK_HOME while a
 * desk runs there: up removes it when it stops), else the one the configuration gives.
 */
export function deskTopology(config: DeskConfig): DeskTopology {
  const path = config.TICKDESK_TOPOLOGY || join(config.TICKDESK_HOME, TOPOLOGY_FILE);
  if (config.TICKDESK_TOPOLOGY === '' && !existsSync(path)) return buildDeskTopology(config);
  try {
    return parseDeskTopology(readFileSync(path, 'utf8'));
  } catch (err) {
    const named = config.TICKDESK_TOPOLOGY ? `TICKDESK_TOPOLOGY=${JSON.stringify(path)}` : path;
    throw new ConfigError(`${named} is not a readable desk topology: ${(err as Error).message}`);
  }
}

/** Written whole (to a temporary file, then renamed), readable by the desk's user only; returns its path. */
export function writeDeskTopology(home: string, topology: DeskTopology): string {
  const path = join(home, TOPOLOGY_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(topology, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
  return path;
}

/** Removed when the desk stops, so that a command run later builds its own from its configuration. */
export const clearDeskTopology = (home: string) => rmSync(join(home, TOPOLOGY_FILE), { force: true });
