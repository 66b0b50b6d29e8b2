import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as mqttConnect, type MqttClient } from 'mqtt';
import { createFeed, createFeedMetrics, ensureInstrumentNodes } from '@tickdesk/feed-core';
import { createMqttFeed, createMqttMetrics, SAMPLE_MAP_FILE } from '@tickdesk/feed-mqtt';
import {
  completeMqttCredentials,
  connectMqtt,
  createDeviceRegistry,
  ensureCertificates,
  freePort,
  MQTT_ADMIN,
  MQTT_FEED,
  startMosquitto,
  type MosquittoServer,
} from '@tickdesk/infra';
import { parseSensorMap, sensorInstruments, ticksNode } from '@tickdesk/schemas';
import { createPubsub, type Pubsub, type XmppClient } from '@tickdesk/xmpp';
import { connect, log } from './helpers.js';

const map = parseSensorMap(readFileSync(SAMPLE_MAP_FILE, 'utf8'));
const sensors = sensorInstruments(map);

/** A private mosquitto with the desk's accounts, restartable on the same folder and port (its sessions persist). */
export async function startBroker() {
  const dir = mkdtempSync(join(tmpdir(), 'tickdesk-mqtt-feed-'));
  const certs = ensureCertificates(join(dir, 'certs'), 'desk.localhost');
  const ca = readFileSync(certs.caCert, 'utf8');
  const { mqtt: credentials } = completeMqttCredentials(undefined);
  const port = await freePort();
  const start = () => startMosquitto({ dir: join(dir, 'mqtt'), port, certs, credentials });
  let server: MosquittoServer = await start();
  const registry = createDeviceRegistry({ url: server.url, ca, adminPassword: credentials.users[MQTT_ADMIN]! });
  const { password } = await registry.add('probe1', 'sites');
  return {
    ca,
    get url() {
      return server.url;
    },
    feedLogin: { username: MQTT_FEED, password: credentials.users[MQTT_FEED]! },
    /** A device allowed to publish under sites/. */
    device: () => connectMqtt({ url: server.url, ca, username: 'probe1', password }),
    async restart() {
      await server.stop();
      server = await start();
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type Broker = Awaited<ReturnType<typeof startBroker>>;

/** The sensor nodes, created by the feed account, readable by `reader` (a member). */
export async function sensorNodes(feedClient: XmppClient, pubsubHost: string, reader: string) {
  const pubsub = createPubsub(feedClient, pubsubHost);
  await ensureInstrumentNodes(pubsub, sensors);
  for (const s of sensors) await pubsub.setAffiliations(ticksNode(s.symbol), [{ jid: reader, affiliation: 'member' }]);
}

/**
 * The MQTT adapter through the real feed core, as the feed account. `pubsub` may wrap the real one
 * (a test holds publishes); the adapter's MQTT client is reachable to cut its network.
 */
export async function startAdapter(broker: Broker, pubsubHost: string, wrap = (p: Pubsub) => p) {
  const xmpp = await connect('feed', `mqtt-test-${Date.now()}`);
  const clients: MqttClient[] = [];
  const metrics = createMqttMetrics();
  const source = createMqttFeed({
    url: broker.url,
    ca: broker.ca,
    ...broker.feedLogin,
    map,
    log,
    metrics,
    reconnect: { initialMs: 100, maxMs: 1000 },
    connectImpl: ((url: string, opts: object) => {
      const c = mqttConnect(url, opts);
      clients.push(c);
      return c;
    }) as typeof mqttConnect,
  });
  const feed = createFeed({
    source,
    pubsub: wrap(createPubsub(xmpp, pubsubHost)),
    instruments: sensors,
    log,
    metrics: createFeedMetrics(),
  });
  await feed.start();
  const refused = async (reason: string) =>
    (await metrics.refused.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  const messages = async () => (await metrics.messages.get()).values[0]?.value ?? 0;
  const sessions = async () => (await metrics.sessions.get()).values[0]?.value ?? 0;
  const repeated = async () => (await metrics.repeated.get()).values[0]?.value ?? 0;
  return {
    source,
    feed,
    refused,
    messages,
    sessions,
    repeated,
    /** The adapter vanishes: its MQTT socket is destroyed without a DISCONNECT, nothing more is acknowledged. */
    kill() {
      for (const c of clients) c.stream.destroy();
    },
    async stop() {
      await feed.stop();
      await xmpp.stop();
    },
  };
}

/** Publish `values` on `topic` with QoS 1, each acknowledged by the broker. */
export async function publishAll(device: MqttClient, topic: string, values: readonly string[]): Promise<void> {
  await Promise.all(values.map((v) => device.publishAsync(topic, v, { qos: 1 })));
}

/** waitFor with a condition that must be awaited (prom-client reads its counters asynchronously). */
export async function waitForAsync(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
