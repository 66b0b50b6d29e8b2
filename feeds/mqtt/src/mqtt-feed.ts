import { setTimeout as delay } from 'node:timers/promises';
import type { IClientOptions, IPublishPacket, connect } from 'mqtt';
import { pino, type Logger } from 'pino';
import { createRejectLog, createSourceLifecycle, type FeedSource, type TickSink } from '@tickdesk/feed-core';
import { nowMicros } from '@tickdesk/schemas';
import { createBackoff } from '@tickdesk/xmpp';
import { MqttFeedError } from './errors.js';
import { createMqttMetrics, type MqttMetrics } from './mqtt-metrics.js';
import { runMqttSession } from './mqtt-session.js';
import { createRedeliveryLedger } from './redelivery.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, readSensorValue, type RefusalReason } from './sensor-payload.js';
import { createTopicMap, type SensorEntry } from './topic-filter.js';

export interface MqttFeedOptions {
  /** mqtts://host:port: the broker listens with TLS only. */
  url: string;
  /** PEM of the CA that signed the broker's certificate (the desk's CA). */
  ca?: string | Buffer;
  username: string;
  password: string;
  /** The sensor map (schemas/src/sensor-map.ts): first matching entry in file order gives the symbol. */
  map: { readonly sensors: readonly SensorEntry[] };
  log?: Logger;
  metrics?: MqttMetrics;
  /** Fixed, so the broker keeps the session and its QoS 1 messages while the adapter is away. */
  clientId?: string;
  /** How long the broker keeps the session of an absent adapter (s). */
  sessionExpirySeconds?: number;
  /** Unacknowledged QoS 1 messages the broker may send at once (MQTT 5 §3.1.2.11.3). */
  receiveMaximum?: number;
  subscription?: string;
  maxPayloadBytes?: number;
  reconnect?: { initialMs: number; maxMs: number; stableMs?: number };
  /** First sequence number per symbol: above every earlier run's (Date.now() µs at start by default). */
  firstSeq?: number;
  now?: () => number;
  connectImpl?: typeof connect;
  /** On stop, how long received messages may take to be published and acknowledged. */
  drainMs?: number;
  /** Extra client options (tests). */
  clientOptions?: IClientOptions;
}

export const MQTT_CLIENT_ID = 'tickdesk-feed-mqtt';

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => {});
}

/** Sensor values from an MQTT 5 broker as ticks of the map's sensor instruments (docs/protocol.md). */
export function createMqttFeed(opts: MqttFeedOptions): FeedSource {
  const { log = pino({ level: 'silent' }), now = nowMicros, maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES } = opts;
  const { initialMs, maxMs, stableMs = 30_000 } = opts.reconnect ?? { initialMs: 250, maxMs: 5_000 };
  if (!(initialMs > 0 && maxMs >= initialMs))
    throw new MqttFeedError(
      'TICKDESK_MQTT_CONFIG',
      `reconnect needs 0 < initialMs ≤ maxMs, got ${initialMs}, ${maxMs}`,
    );
  const receiveMaximum = opts.receiveMaximum ?? 1000;
  if (!(receiveMaximum >= 1 && receiveMaximum <= 65535))
    throw new MqttFeedError('TICKDESK_MQTT_CONFIG', `receiveMaximum must be 1..65535, got ${receiveMaximum}`);
  const metrics = opts.metrics ?? createMqttMetrics();
  // The first few refusals per reason every 10 s in full, then a count (feed core's reject log).
  const refusals = createRejectLog(log.child({ component: 'feed-mqtt' }));
  const symbolOf = createTopicMap(opts.map.sensors);
  const seqs = new Map<string, number>();
  // Across the sessions of this run: a value the broker sends again after it was published is not a new tick.
  const ledger = createRedeliveryLedger();
  const firstSeq = opts.firstSeq ?? Date.now() * 1000;
  const lifecycle = createSourceLifecycle(
    () => new MqttFeedError('TICKDESK_MQTT_BUSY', 'the MQTT feed is already running'),
  );

  function onMessage(sink: TickSink, packet: IPublishPacket, settle: () => void, fail: (e: Error) => void): void {
    metrics.messages.inc();
    const refuse = (reason: RefusalReason, detail: string): void => {
      metrics.refused.inc({ reason });
      refusals.note(reason, detail, packet.topic);
      settle();
    };
    // A retained message is a last value of unknown age: never a fresh tick (docs/protocol.md).
    if (packet.retain) return refuse('retained-skipped', packet.topic);
    const entry = symbolOf(packet.topic);
    if (!entry) return refuse('unmapped-topic', packet.topic);
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const timeProperty = packet.properties?.userProperties?.time;
    const reading = readSensorValue(entry, { payload, timeProperty, nowMicros: now() }, maxPayloadBytes);
    if (!reading.ok) return refuse(reading.reason, reading.detail);
    const seq = (seqs.get(entry.symbol) ?? firstSeq - 1) + 1;
    seqs.set(entry.symbol, seq);
    sink.push({
      symbol: entry.symbol,
      seq,
      price: reading.value,
      size: '0',
      eventTimeMicros: reading.eventMicros,
      settled: (outcome) => {
        // Only a published or refused tick is settled for good; a dropped one (conflated) is not out either.
        if (outcome === 'failed' || outcome === 'dropped')
          fail(new Error(`a tick was ${outcome}, not published; the broker will send it again`));
        else settle();
      },
    });
  }

  async function connectLoop(sink: TickSink, signal: AbortSignal): Promise<void> {
    const backoff = createBackoff({ initialMs, maxMs });
    while (!signal.aborted) {
      const end = await runMqttSession({
        url: opts.url,
        subscription: opts.subscription ?? '#',
        signal,
        drainMs: opts.drainMs ?? 2_000,
        maxUnacked: receiveMaximum,
        ledger,
        connectImpl: opts.connectImpl,
        options: {
          protocolVersion: 5,
          clientId: opts.clientId ?? MQTT_CLIENT_ID,
          clean: false,
          username: opts.username,
          password: opts.password,
          ca: opts.ca,
          connectTimeout: 5_000,
          properties: { sessionExpiryInterval: opts.sessionExpirySeconds ?? 86_400, receiveMaximum },
          ...opts.clientOptions,
        },
        onOpen: (sessionPresent) => {
          metrics.sessions.inc();
          lifecycle.set('running');
          log.info({ url: opts.url, sessionPresent }, 'mqtt broker connected');
        },
        onMessage: (packet, settle, fail) => onMessage(sink, packet, settle, fail),
        onRepeat: () => metrics.repeated.inc(),
      });
      if (signal.aborted) return;
      if (end.openMs >= stableMs) backoff.reset();
      const { attempt, delayMs } = backoff.next();
      lifecycle.set('degraded');
      sink.report({ kind: 'reconnect', attempt, delayMs });
      log.warn({ attempt, delayMs, err: end.error }, 'mqtt broker connection lost; reconnecting');
      await sleep(delayMs, signal);
    }
  }

  return {
    name: 'mqtt',
    state: lifecycle.state,
    run: (sink, signal) => lifecycle.run('starting', () => connectLoop(sink, signal)),
  };
}
