import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DEFAULT_INSTRUMENTS, sensorInstruments, type DeskTopology, type Instrument } from '@tickdesk/schemas';
import type { FeedSource } from '@tickdesk/feed-core';
import { createSyntheticFeed } from '@tickdesk/feed-synthetic';
import { createReplayFeed } from '@tickdesk/feed-replay';
import { createBinanceFeed } from '@tickdesk/feed-binance';
import { createMqttFeed, createMqttMetrics } from '@tickdesk/feed-mqtt';
import { MQTT_FEED } from '@tickdesk/infra';
import { feedSources, type DeskConfig } from './config.js';
import type { XmppTarget } from './connect.js';
import type { Credentials } from './credentials.js';

/** What a feed source may need of the desk: its XMPP target (the CA), the credentials, the metrics registry. */
export interface DeskAccess {
  xmpp: XmppTarget;
  credentials: Credentials;
  registry: Registry;
}

/** What one feed process runs: its source and the instruments it publishes (no other's). */
export interface FeedPlan {
  source: FeedSource;
  instruments: readonly Instrument[];
}

export function planFor(config: DeskConfig, topology: DeskTopology, desk: DeskAccess, log: Logger): FeedPlan {
  // `up` gives each feed process one source (desk-services.ts); run by hand, the first listed.
  const [name] = feedSources(config);
  switch (name) {
    case 'mqtt':
      return mqttPlan(topology, desk, log);
    case 'replay':
      return {
        instruments: DEFAULT_INSTRUMENTS,
        source: createReplayFeed({
          path: config.TICKDESK_REPLAY_FILE,
          speed: config.TICKDESK_REPLAY_SPEED === 'max' ? 'max' : Number(config.TICKDESK_REPLAY_SPEED),
          progress: false,
        }),
      };
    case 'binance':
      return {
        instruments: DEFAULT_INSTRUMENTS,
        source: createBinanceFeed({
          url: config.TICKDESK_BINANCE_URL,
          symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'],
          reconnect: { initialMs: 500, maxMs: 30_000 },
          log,
        }),
      };
    default:
      return {
        instruments: DEFAULT_INSTRUMENTS,
        // seq keeps increasing across restarts: it starts at the start time in microseconds.
        source: createSyntheticFeed({
          instruments: DEFAULT_INSTRUMENTS,
          ratePerSecond: config.TICKDESK_FEED_RATE,
          seed: config.TICKDESK_FEED_SEED,
          firstSeq: Date.now() * 1000,
        }),
      };
  }
}

/** The MQTT adapter as account mqtt-feed on the desk's broker, publishing the sensor map's instruments. */
function mqttPlan(topology: DeskTopology, { xmpp, credentials, registry }: DeskAccess, log: Logger): FeedPlan {
  const password = credentials.mqtt?.users[MQTT_FEED];
  if (!topology.mqtt || !topology.sensors || password === undefined)
    throw new Error(
      "the mqtt feed needs the desk's MQTT broker, its sensor map and the mqtt-feed password: start it with `tickdesk up` and mqtt in TICKDESK_FEED",
    );
  return {
    instruments: sensorInstruments({ sensors: topology.sensors }),
    source: createMqttFeed({
      url: `mqtts://${topology.mqtt.host}:${topology.mqtt.port}`,
      ca: xmpp.ca,
      username: MQTT_FEED,
      password,
      map: { sensors: topology.sensors },
      log,
      metrics: createMqttMetrics(registry),
    }),
  };
}
