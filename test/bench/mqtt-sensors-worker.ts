// A process of the sensor benchmark (test/bench/mqtt-sensors.ts), forked with IPC. Argument 1 is its
// role, argument 2 its settings as JSON.
// - `adapter`: the MQTT adapter (createMqttFeed) through the real feed core as the desk runs it
//   (services/desk/src/run-feed.ts): account mqtt-feed on the broker, XMPP account `feed` with
//   resource feed-mqtt, default feed settings. Its CPU is the benchmark's "adapter CPU".
// - `devices`: one MQTT 5 client per device over TLS, each publishing QoS 1 values on its own topic,
//   together at a fixed rate (rate 0: as fast as the pipeline carries them), never more than a bound
//   ahead of what the subscriber has received. A value is
//   the device's message number in the run (1, 2, 3…), so the subscriber can tell loss, duplicates
//   and order; the payload's `time` is the publish time in µs, the latency's start.
import { readFileSync } from 'node:fs';
import { connect as mqttConnect, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { connectAs, type Credentials } from '@tickdesk/desk';
import { createFeed, createFeedMetrics } from '@tickdesk/feed-core';
import { createMqttFeed, createMqttMetrics } from '@tickdesk/feed-mqtt';
import { connectMqtt, MQTT_FEED } from '@tickdesk/infra';
import { formatMicros, nowMicros, sensorInstruments, type SensorMap } from '@tickdesk/schemas';
import { createPubsub } from '@tickdesk/xmpp';
import { clockOffsetMicros } from './mqtt-sensors-tally.js';

export interface AdapterSettings {
  service: string;
  domain: string;
  xmppCaPath: string;
  credentialsPath: string;
  mqttUrl: string;
  mqttCaPath: string;
  feedPassword: string;
  map: SensorMap;
  /** The adapter's receive maximum; its default (1,000) when absent. */
  receiveMaximum?: number;
}
export interface DeviceSettings {
  mqttUrl: string;
  mqttCaPath: string;
  devices: Array<{ name: string; password: string; topic: string }>;
}
export interface AdapterReport {
  messages: number;
  refused: Record<string, number>;
  /** Items published so far, their mean round trip to the pubsub service (ms), the batch wait now (ms). */
  publishes: number;
  publishRttMs: number;
  batchMs: number;
  /** Ticks conflated away by the feed core so far. */
  conflated: number;
  /** Most QoS 1 messages the broker had sent the adapter without its PUBACK, since the last report. */
  maxUnacked: number;
}
/** The adapter's first message: ready, and its clock's offset (clockOffsetMicros). */
export interface AdapterReady {
  ready: true;
  offset: number;
}
export interface DevicesReport {
  /** Publishes sent, and acknowledged by the broker (PUBACK). */
  sent: number;
  acked: number;
  errors: number;
  /** Median time from publish to the broker's PUBACK (ms). */
  ackP50Ms: number;
}
/** Messages to a worker. */
export type WorkerCommand =
  | { cmd: 'report' }
  | { cmd: 'quit' }
  | { cmd: 'run'; rate: number; seconds: number; maxAhead: number }
  | { cmd: 'received'; total: number };

const [role, json] = process.argv.slice(2) as ['adapter' | 'devices', string];
const log = pino({ level: 'warn' });
const send = (m: object) => process.send!(m);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runAdapter(s: AdapterSettings): Promise<void> {
  const creds = JSON.parse(readFileSync(s.credentialsPath, 'utf8')) as Credentials;
  const target = { service: s.service, domain: s.domain, ca: readFileSync(s.xmppCaPath, 'utf8') };
  const client = await connectAs(target, creds, 'feed', log, 'feed-mqtt');
  const metrics = createMqttMetrics();
  // The window the broker keeps to the adapter: PUBLISH packets received less PUBACKs sent.
  let unacked = 0;
  let maxUnacked = 0;
  const connectImpl = ((url: string, opts: object) => {
    const c = mqttConnect(url, opts);
    unacked = 0;
    c.on('packetreceive', (p) => {
      if (p.cmd === 'publish' && p.qos === 1) maxUnacked = Math.max(maxUnacked, ++unacked);
    });
    c.on('packetsend', (p) => {
      if (p.cmd === 'puback') unacked -= 1;
    });
    return c;
  }) as typeof mqttConnect;
  const source = createMqttFeed({
    connectImpl,
    ...(s.receiveMaximum ? { receiveMaximum: s.receiveMaximum } : {}),
    url: s.mqttUrl,
    ca: readFileSync(s.mqttCaPath, 'utf8'),
    username: MQTT_FEED,
    password: s.feedPassword,
    map: s.map,
    log,
    metrics,
  });
  const feedMetrics = createFeedMetrics();
  const feed = createFeed({
    source,
    pubsub: createPubsub(client, `pubsub.${s.domain}`),
    instruments: sensorInstruments(s.map),
    log,
    metrics: feedMetrics,
    connected: () => client.state() === 'running',
  });
  await feed.start();
  while (source.state() !== 'running') await sleep(20);
  process.on('message', (m: WorkerCommand) => {
    if (m.cmd === 'report')
      void (async () => {
        const refused: Record<string, number> = {};
        for (const v of (await metrics.refused.get()).values) refused[String(v.labels.reason)] = v.value;
        const messages = (await metrics.messages.get()).values[0]?.value ?? 0;
        const rtt = (await feedMetrics.publishSeconds.get()).values;
        const sum = rtt.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
        const publishes = rtt.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
        const { batchMs, conflated } = feed.stats();
        const report = { messages, refused, publishes, publishRttMs: sum * 1000, batchMs, conflated, maxUnacked };
        maxUnacked = unacked;
        send({ report: report satisfies AdapterReport });
      })();
    // A normal exit writes the --cpu-prof profile, when the benchmark asked for one.
    if (m.cmd === 'quit') void feed.stop().then(() => client.stop().finally(() => process.exit(0)));
  });
  send({ ready: true, offset: clockOffsetMicros() } satisfies AdapterReady);
}

async function runDevices(s: DeviceSettings): Promise<void> {
  const ca = readFileSync(s.mqttCaPath, 'utf8');
  const clients: MqttClient[] = await Promise.all(
    s.devices.map((d) => connectMqtt({ url: s.mqttUrl, ca, username: d.name, password: d.password, clientId: d.name })),
  );
  const totals = { sent: 0, acked: 0, errors: 0 };
  const offset = clockOffsetMicros();
  let ackMs: number[] = [];
  const publishOne = (c: MqttClient, topic: string, n: number, done: () => void) => {
    totals.sent += 1;
    const t = nowMicros() + offset;
    const payload = `{"value":"${n}","time":"${formatMicros(t)}"}`;
    c.publish(topic, payload, { qos: 1 }, (err) => {
      if (err) totals.errors += 1;
      else totals.acked += 1;
      // One in 16 is enough for a median.
      if ((n & 15) === 0) ackMs.push((nowMicros() + offset - t) / 1000);
      done();
    });
  };

  // Ticks the subscriber has received in this run, as the benchmark reports them every 50 ms.
  let received = 0;
  async function run(rate: number, seconds: number, maxAhead: number): Promise<DevicesReport> {
    totals.sent = totals.acked = totals.errors = 0;
    ackMs = [];
    received = 0;
    const counters = s.devices.map(() => 0);
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let forgiven = 0;
    let turn = 0;
    // Every 5 ms the devices send, in turn, what the rate owes since t0 (a late timer catches up),
    // while at most `maxAhead` values are on their way (sent, not yet received by the subscriber):
    // past it the broker's queue would only grow, so the debt is dropped, not carried.
    // Rate 0 (`max`): as many as that allows.
    while (performance.now() < end) {
      const owed = rate === 0 ? Infinity : Math.floor((rate * (performance.now() - t0)) / 1000) - forgiven;
      const room = Math.max(0, maxAhead - (totals.sent - received));
      const n = Math.min(owed - totals.sent, room);
      if (rate !== 0) forgiven += owed - totals.sent - n;
      for (let k = 0; k < n; k++, turn = (turn + 1) % clients.length)
        publishOne(clients[turn]!, s.devices[turn]!.topic, ++counters[turn]!, () => {});
      await sleep(5);
    }
    for (const stop = performance.now() + 10_000; totals.acked + totals.errors < totals.sent;) {
      if (performance.now() > stop) break;
      await sleep(20);
    }
    ackMs.sort((a, b) => a - b);
    return { ...totals, ackP50Ms: ackMs[Math.floor(ackMs.length / 2)] ?? Number.NaN };
  }

  process.on('message', (m: WorkerCommand) => {
    if (m.cmd === 'run') void run(m.rate, m.seconds, m.maxAhead).then((report) => send({ report }));
    if (m.cmd === 'received') received = m.total;
    if (m.cmd === 'quit') void Promise.all(clients.map((c) => c.endAsync())).finally(() => process.exit(0));
  });
  send({ ready: true });
}

const settings = JSON.parse(json) as unknown;
await (role === 'adapter' ? runAdapter(settings as AdapterSettings) : runDevices(settings as DeviceSettings));
// Stops with its parent, whatever happens to it.
process.on('disconnect', () => process.exit(1));
