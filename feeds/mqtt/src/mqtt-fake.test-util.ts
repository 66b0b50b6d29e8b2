import { EventEmitter } from 'node:events';
import type { IPublishPacket, connect } from 'mqtt';
import { pino } from 'pino';
import { createFeed, createFeedMetrics, type FeedConfig } from '@tickdesk/feed-core';
import type { Instrument } from '@tickdesk/schemas';
import type { Pubsub } from '@tickdesk/xmpp';
import { createMqttFeed, type MqttFeedOptions } from './mqtt-feed.js';
import { createMqttMetrics } from './mqtt-metrics.js';

/** An mqtt.js client as far as the session uses it; PUBACKs it would send are recorded. */
class FakeClient extends EventEmitter {
  connected = false;
  pubacks: number[] = [];
  ended = false;
  handleMessage: (packet: IPublishPacket, cb: (err?: Error) => void) => void = (_p, cb) => cb();
  constructor(readonly options: Record<string, unknown>) {
    super();
  }
  subscribe(_topic: string, _opts: object, cb: (err: Error | null, granted: Array<{ qos: number }>) => void) {
    cb(null, [{ qos: 1 }]);
  }
  end(_force: boolean, cb?: () => void) {
    if (!this.ended) {
      this.ended = true;
      this.connected = false;
      setImmediate(() => this.emit('close'));
    }
    cb?.();
    return this;
  }
  _sendPacket(packet: { cmd: string; messageId: number }) {
    if (packet.cmd === 'puback') this.pubacks.push(packet.messageId);
  }
  /** The CONNACK: mqtt.js emits `packetreceive` for it before `connect`. */
  open(sessionPresent = false) {
    this.connected = true;
    this.emit('packetreceive', { cmd: 'connack', sessionPresent });
    this.emit('connect', { sessionPresent });
  }
  /** The connection is lost (a broker restart): no DISCONNECT, nothing more goes out on it. */
  drop() {
    this.connected = false;
    this.emit('close');
  }
  /** Delivers a message the way mqtt.js does; true when mqtt.js would have sent its own PUBACK. */
  deliver(messageId: number, topic: string, payload: string, extra: Partial<IPublishPacket> = {}): boolean {
    let own = false;
    this.handleMessage(
      { cmd: 'publish', qos: 1, dup: false, retain: false, messageId, topic, payload: Buffer.from(payload), ...extra },
      (err) => (own = err === undefined),
    );
    return own;
  }
}

function heldPubsub() {
  const held: Array<{ resolve: () => void; reject: (e: Error) => void; payload: string }> = [];
  const pubsub = {
    publish: (_node: string, payload: { toString(): string }) =>
      new Promise<void>((resolve, reject) => held.push({ resolve, reject, payload: payload.toString() })),
  } as unknown as Pubsub;
  return { pubsub, held };
}

const SENSOR = { topic: 'sites/+/temp', symbol: 'IOT.TEMP', decimals: 1, min: '-40', max: '85' };
const instrument = { kind: 'sensor', symbol: 'IOT.TEMP', name: 'Temp', unit: '°C', decimals: 1, min: '-40', max: '85' };

export const tick = () => new Promise((r) => setTimeout(r, 30));
const stops: Array<() => Promise<void>> = [];
/** Stops the feeds `setup` started (afterEach). */
export async function stopAll(): Promise<void> {
  for (const stop of stops.splice(0)) await stop();
}

/** `resumed`: whether the broker kept the session for the connections after the first. */
export function setup(extra: Partial<MqttFeedOptions> = {}, feedConfig: Partial<FeedConfig> = {}, resumed = false) {
  const clients: FakeClient[] = [];
  const connectImpl = ((_url: string, options: Record<string, unknown>) => {
    const c = new FakeClient(options);
    clients.push(c);
    setImmediate(() => c.open(clients.length > 1 && resumed));
    return c;
  }) as unknown as typeof connect;
  const mqttMetrics = createMqttMetrics();
  const source = createMqttFeed({
    url: 'mqtts://broker.test:8883',
    username: 'mqtt-feed',
    password: 'x',
    map: { sensors: [SENSOR] },
    metrics: mqttMetrics,
    connectImpl,
    firstSeq: 1000,
    reconnect: { initialMs: 10, maxMs: 20 },
    drainMs: 50,
    ...extra,
  });
  const { pubsub, held } = heldPubsub();
  const feed = createFeed({
    source,
    pubsub,
    instruments: [instrument as unknown as Instrument],
    log: pino({ level: 'silent' }),
    metrics: createFeedMetrics(),
    // Batched: the cases below hand the feed core two ticks for one item.
    config: { batchMs: 1, adaptiveBatch: false, eagerMaxRate: 0, bars: false, ...feedConfig },
  });
  stops.push(async () => {
    for (const h of held) h.resolve();
    await feed.stop();
  });
  const refused = async (reason: string) =>
    (await mqttMetrics.refused.get()).values.find((v) => v.labels.reason === reason)?.value;
  const repeated = async () => (await mqttMetrics.repeated.get()).values[0]?.value ?? 0;
  return { feed, source, clients, held, refused, repeated };
}
