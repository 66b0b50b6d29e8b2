import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DeskFederation } from './federation.js';
import type { Instrument } from './instrument.js';
import { DEFAULT_INSTRUMENTS } from './instruments.js';
import { SensorMapEntry, sensorInstruments } from './sensor-map.js';

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
/** A name or IPv4 address (it goes into URLs as it is). */
const Host = Type.String({ pattern: '^[A-Za-z0-9.-]{1,253}$' });

/** One XMPP server node and the ports it listens on. */
export const XmppNodeAddress = Type.Object({
  host: Host,
  /** Client connections, STARTTLS (RFC 6120 §5). */
  c2sPort: Port,
  /** Client connections, TLS from the first byte (XEP-0368). */
  c2sDirectTlsPort: Port,
  /** HTTP: WebSocket (RFC 7395) at /xmpp-websocket. */
  httpPort: Port,
  /** Erlang distribution (ejabberd; unused by Prosody). */
  distPort: Port,
});
export type XmppNodeAddress = Static<typeof XmppNodeAddress>;

export const HostPort = Type.Object({ host: Host, port: Port });
export type HostPort = Static<typeof HostPort>;

/** Where Redis is: one server, or the sentinels that name the current primary of `masterName`. */
export const RedisEndpoint = Type.Union([
  Type.Object({ mode: Type.Literal('single'), host: Host, port: Port }),
  Type.Object({
    mode: Type.Literal('sentinel'),
    masterName: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
    sentinels: Type.Array(HostPort, { minItems: 1, maxItems: 16 }),
  }),
]);
export type RedisEndpoint = Static<typeof RedisEndpoint>;

/**
 * A desk's topology: everything a service needs to find the others. Built once by
 * `tickdesk up` from the desk's configuration and written to `<TICKDESK_HOME>/topology.json`;
 * every service it starts reads that file instead of rebuilding addresses.
 */
export const DeskTopology = Type.Object({
  domain: Type.String({ pattern: '^[a-z0-9.-]{1,253}$' }),
  /** The pubsub service's JID (XEP-0060), where the instrument nodes live. */
  pubsubHost: Type.String({ pattern: '^[a-z0-9.-]{1,253}$' }),
  xmppServer: Type.Union([Type.Literal('prosody'), Type.Literal('ejabberd')]),
  /** Node 1 first; a cluster lists every node. */
  xmppNodes: Type.Array(XmppNodeAddress, { minItems: 1, maxItems: 9 }),
  api: HostPort,
  redis: RedisEndpoint,
  paths: Type.Object({
    /** The runtime folder. */
    home: Type.String({ minLength: 1 }),
    /** The desk's CA certificate (PEM), which signed the XMPP server's certificate. */
    ca: Type.String({ minLength: 1 }),
    /** Account passwords, Redis users' passwords and keys (credentials.json, mode 0600). */
    credentials: Type.String({ minLength: 1 }),
  }),
  /** Partner desks linked over XMPP server-to-server (absent: no peers, no s2s listener). */
  federation: Type.Optional(DeskFederation),
  /**
   * The sensor map's entries (TICKDESK_MQTT_MAP_FILE, checked by `up`) when the desk runs
   * the mqtt feed: one sensor instrument each. Absent: the desk has market instruments only.
   */
  sensors: Type.Optional(Type.Array(SensorMapEntry, { minItems: 1, maxItems: 100_000 })),
  /**
   * The desk's MQTT broker (mosquitto, TLS only, verified against `paths.ca`) where sensors
   * publish and the mqtt feed subscribes, when the desk runs the mqtt feed; absent otherwise.
   */
  mqtt: Type.Optional(HostPort),
});
export type DeskTopology = Static<typeof DeskTopology>;

/** The topology file's name in the runtime folder. */
export const TOPOLOGY_FILE = 'topology.json';

/** A topology file's text, checked; throws naming the first bad field. */
export function parseDeskTopology(text: string): DeskTopology {
  const value: unknown = JSON.parse(text);
  const error = Value.Errors(DeskTopology, value).First();
  if (error) throw new TypeError(`desk topology ${error.path || '/'}: ${error.message}`);
  return value as DeskTopology;
}

/**
 * The desk's instruments: the market instruments, then the sensor instruments of its
 * sensor map in file order. Every service takes its catalogue from here.
 */
export function deskInstruments(t: Pick<DeskTopology, 'sensors'>): readonly Instrument[] {
  return t.sensors ? [...DEFAULT_INSTRUMENTS, ...sensorInstruments({ sensors: t.sensors })] : DEFAULT_INSTRUMENTS;
}

/** Each node's client address (`xmpp://host:port`), node 1 first: a service starts on one and reconnects to the next. */
export function xmppServiceUrls(t: DeskTopology): string[] {
  return t.xmppNodes.map((n) => `xmpp://${n.host}:${n.c2sPort}`);
}

/** Each node's HTTP origin, whose /xmpp-websocket the API proxies. */
export function xmppHttpOrigins(t: DeskTopology): string[] {
  return t.xmppNodes.map((n) => `http://${n.host}:${n.httpPort}`);
}
