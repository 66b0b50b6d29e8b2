// Sensor benchmark: IoT values over MQTT to XMPP subscribers, end to end, on 127.0.0.1 only.
// A private Prosody (+ Redis, test/bench/bench-desk.ts) and a private mosquitto (infra
// startMosquitto: TLS, dynamic security, persistence as the desk runs it); the MQTT adapter
// through the real feed core in its own process; N devices (broker clients with the desk's
// device role, in one process) publishing QoS 1 JSON values with their publish time, each on its
// own mapped topic, at each offered rate (`max`: as fast as the pipeline carries them, never more
// than three adapter windows ahead of the subscriber); one analyst subscribed to every sensor node. Per run: messages
// the broker acknowledged to devices, ticks received (and lost = acknowledged − received, values
// missing, duplicated or out of order per symbol, seq holes), msg/s end to end, p50/p99 latency
// from the device's publish to the subscriber, CPU of the adapter, mosquitto, Prosody and the
// devices. Prints a table and rewrites the mqtt-sensors section of docs/benchmarks.md.
// Run: npm run bench:mqtt
// Settings (env): TICKDESK_MQTT_BENCH_RATES (1000,5000,20000,max), TICKDESK_MQTT_BENCH_DEVICES (8),
// TICKDESK_BENCH_SECONDS (6), TICKDESK_BENCH_REPEAT (3), TICKDESK_MQTT_BENCH_MAX_S (whole run, 300),
// TICKDESK_MQTT_BENCH_PROFILE (a folder: the adapter runs with node --cpu-prof into it),
// TICKDESK_MQTT_BENCH_RECEIVE_MAX (the adapter's receive maximum; unset: its default, 1,000),
// TICKDESK_MQTT_BENCH_SECTION (mqtt-sensors; `none` writes nothing).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInstrumentNodes } from '@tickdesk/feed-core';
import {
  completeMqttCredentials,
  createDeviceRegistry,
  ensureCertificates,
  freePort,
  MQTT_ADMIN,
  MQTT_FEED,
  startMosquitto,
  type MosquittoServer,
} from '@tickdesk/infra';
import { parseSensorMap, sensorInstruments, ticksNode } from '@tickdesk/schemas';
import { createPubsub } from '@tickdesk/xmpp';
import { log, startBenchDesk } from './bench-desk.js';
import { startSensorTally } from './mqtt-sensors-tally.js';
import { clean, medianRun, PROCESSES, row, TABLE_HEAD, type Costs, type Run } from './mqtt-sensors-table.js';
import type {
  AdapterReport,
  AdapterSettings,
  DeviceSettings,
  DevicesReport,
  WorkerCommand,
} from './mqtt-sensors-worker.js';
import { cpuMeter, processCpuSeconds } from './process-cpu.js';
import { writeSection } from './report.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RATES = (process.env.TICKDESK_MQTT_BENCH_RATES ?? '1000,5000,20000,max').split(',').filter(Boolean);
const DEVICES = Number(process.env.TICKDESK_MQTT_BENCH_DEVICES ?? 8);
const SECONDS = Number(process.env.TICKDESK_BENCH_SECONDS ?? 6);
const REPEAT = Number(process.env.TICKDESK_BENCH_REPEAT ?? 3);
const MAX_S = Number(process.env.TICKDESK_MQTT_BENCH_MAX_S ?? 300);
const PROFILE = process.env.TICKDESK_MQTT_BENCH_PROFILE;
const RECEIVE_MAX = process.env.TICKDESK_MQTT_BENCH_RECEIVE_MAX;
const SECTION = process.env.TICKDESK_MQTT_BENCH_SECTION ?? 'mqtt-sensors';
if (
  RATES.some((r) => r !== 'max' && !(Number(r) >= 1 && Number(r) <= 100_000)) ||
  !(DEVICES >= 1 && DEVICES <= 64) ||
  !(SECONDS >= 4 && SECONDS <= 60) ||
  !(REPEAT >= 1 && REPEAT <= 5) ||
  (RECEIVE_MAX !== undefined && !(Number(RECEIVE_MAX) >= 1 && Number(RECEIVE_MAX) <= 65535))
)
  throw new Error(
    'TICKDESK_MQTT_BENCH_RATES 1–100000 or max each, TICKDESK_MQTT_BENCH_DEVICES 1–64, TICKDESK_BENCH_SECONDS 4–60, TICKDESK_BENCH_REPEAT 1–5, TICKDESK_MQTT_BENCH_RECEIVE_MAX 1–65535',
  );
const WARMUP_S = 1.5;
const TAIL_S = 0.5;
const DRAIN_MS = 15_000;
/**
 * Values on their way (sent by the devices, not yet received) at most: at a fixed rate, a 10,000
 * backlog in the broker's queue keeps a run's drain short when the rate is beyond the pipeline; at
 * `max`, three adapter windows (the receive maximum) keep the window full without a queue growing.
 */
const MAX_AHEAD = { fixed: 10_000, max: 3 * Number(RECEIVE_MAX ?? 1000) };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const out = (s: string) => process.stdout.write(s + '\n');

type Desk = Awaited<ReturnType<typeof startBenchDesk>>;
let desk: Desk | undefined;
let broker: MosquittoServer | undefined;
const brokerDir = mkdtempSync(join(tmpdir(), 'tickdesk-bench-mqtt-'));
const children = new Set<ChildProcess>();
const cleanup = async () => {
  children.forEach((c) => c.kill('SIGKILL'));
  await broker?.stop();
  await desk?.dispose();
  rmSync(brokerDir, { recursive: true, force: true });
};
// Whatever ends the run early, every process it started stops and its folders go.
let aborting = false;
function abort(why: unknown): void {
  if (aborting) return;
  aborting = true;
  process.stderr.write(`sensor benchmark: ${why instanceof Error ? why.stack : String(why)}\n`);
  void cleanup().finally(() => process.exit(1));
}
for (const event of ['uncaughtException', 'unhandledRejection'] as const) process.once(event, abort);
process.once('SIGINT', () => abort('interrupted'));
setTimeout(() => abort(`over TICKDESK_MQTT_BENCH_MAX_S=${MAX_S} s, stopped`), MAX_S * 1000).unref();

/** A worker process (mqtt-sensors-worker.ts) once it says it is ready, and a request/answer over IPC. */
async function startWorker(role: 'adapter' | 'devices', settings: AdapterSettings | DeviceSettings) {
  const execArgv = ['--conditions=tickdesk-source', '--import', 'tsx'];
  if (role === 'adapter' && PROFILE) execArgv.push('--cpu-prof', `--cpu-prof-dir=${PROFILE}`);
  const child = fork(join(root, 'test/bench/mqtt-sensors-worker.ts'), [role, JSON.stringify(settings)], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  // A child killed by an abort: what is still sent to it goes nowhere.
  child.on('error', () => undefined);
  const ready = await new Promise<{ offset?: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the ${role} process exited (${code}) before it was ready`)));
    child.on('message', (m: { ready?: boolean; offset?: number }) => m.ready && resolve(m));
  });
  child.removeAllListeners('exit');
  const ask = <T>(cmd: WorkerCommand) =>
    new Promise<T>((resolve) => {
      const on = (m: { report?: T }) => {
        if (!m.report) return;
        child.off('message', on);
        resolve(m.report);
      };
      child.on('message', on);
      child.send(cmd);
    });
  const quit = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.send({ cmd: 'quit' } satisfies WorkerCommand);
    }).finally(() => children.delete(child));
  return {
    pid: child.pid!,
    offset: ready.offset ?? 0,
    ask,
    quit,
    tell: (cmd: WorkerCommand) => child.connected && child.send(cmd),
  };
}

const started = new Date();
desk = await startBenchDesk();
const certs = ensureCertificates(join(brokerDir, 'certs'), desk.domain);
const { mqtt: credentials } = completeMqttCredentials(undefined);
broker = await startMosquitto({ dir: join(brokerDir, 'mqtt'), port: await freePort(), certs, credentials });
const ca = certs.caCert;
const registry = createDeviceRegistry({
  url: broker.url,
  ca: readFileSync(ca, 'utf8'),
  adminPassword: credentials.users[MQTT_ADMIN]!,
});
const devices: DeviceSettings['devices'] = [];
for (let i = 1; i <= DEVICES; i++) {
  const name = `bench${String(i).padStart(2, '0')}`;
  const { password } = await registry.add(name, `bench/${name}`);
  devices.push({ name, password, topic: `bench/${name}/value` });
}
// Decimals 0: a value is the device's message number in the run.
const map = parseSensorMap(
  JSON.stringify({
    sensors: devices.map((d) => ({
      topic: d.topic,
      symbol: `IOT.BENCH.${d.name.toUpperCase()}`,
      name: `Benchmark device ${d.name}`,
      unit: 'n',
      decimals: 0,
      min: '0',
      max: '1000000000',
    })),
  }),
);
const sensors = sensorInstruments(map);
const owner = await desk.connect('feed', 'bench-sensor-nodes');
const pubsub = createPubsub(owner, desk.pubsubHost);
await ensureInstrumentNodes(pubsub, sensors);
for (const s of sensors)
  await pubsub.setAffiliations(ticksNode(s.symbol), [{ jid: `ana@${desk.domain}`, affiliation: 'member' }]);
await owner.stop();
const analyst = await desk.connect('ana', 'bench-sensors');
const adapter = await startWorker('adapter', {
  service: desk.service,
  domain: desk.domain,
  xmppCaPath: desk.caPath,
  credentialsPath: desk.credentialsPath,
  mqttUrl: broker.url,
  mqttCaPath: ca,
  feedPassword: credentials.users[MQTT_FEED]!,
  map,
  ...(RECEIVE_MAX ? { receiveMaximum: Number(RECEIVE_MAX) } : {}),
});
const tally = await startSensorTally({
  client: analyst,
  service: desk.pubsubHost,
  sensors: map.sensors,
  log,
  adapterOffset: adapter.offset,
});
const publisher = await startWorker('devices', { mqttUrl: broker.url, mqttCaPath: ca, devices });

let before = { refused: 0, publishes: 0, rttMs: 0 };
async function runOnce(rate: number): Promise<Run> {
  const load = loadavg()[0]!;
  tally.reset();
  const pids = [adapter.pid, broker!.process.pid, desk!.serverPid(), publisher.pid];
  const cpuNow = () => [
    ...pids.map(processCpuSeconds),
    process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
  ];
  const cpu0 = cpuNow();
  const done = publisher.ask<DevicesReport>({
    cmd: 'run',
    rate,
    seconds: SECONDS,
    maxAhead: rate === 0 ? MAX_AHEAD.max : MAX_AHEAD.fixed,
  });
  const feedback = setInterval(() => publisher.tell({ cmd: 'received', total: tally.total() }), 50);
  await sleep(WARMUP_S * 1000);
  const meters = [...pids, process.pid].map(cpuMeter);
  meters.forEach((m) => m.start());
  tally.measure(true);
  const t0 = performance.now();
  await sleep((SECONDS - WARMUP_S - TAIL_S) * 1000);
  tally.measure(false);
  const window = (performance.now() - t0) / 1000;
  const cores = meters.map((m) => m.stop());
  const sent = await done;
  clearInterval(feedback);
  for (const end = Date.now() + DRAIN_MS; Date.now() < end && tally.total() < sent.acked;) await sleep(100);
  const r = tally.report();
  const ad = await adapter.ask<AdapterReport>({ cmd: 'report' });
  const us = cpuNow().map((c, i) => ((c - cpu0[i]!) * 1e6) / Math.max(1, sent.sent));
  const now = {
    refused: Object.values(ad.refused).reduce((s, v) => s + v, 0),
    publishes: ad.publishes,
    rttMs: ad.publishRttMs,
  };
  const refused = now.refused - before.refused;
  const publishRtt = (now.rttMs - before.rttMs) / Math.max(1, now.publishes - before.publishes);
  before = now;
  const byProcess = (xs: number[]) => Object.fromEntries(PROCESSES.map((p, i) => [p, xs[i]!])) as Costs;
  return {
    published: sent.sent / SECONDS,
    received: r.measured / window,
    lost: sent.acked - r.total,
    missing: r.missing,
    duplicates: r.duplicates,
    disorder: r.disorder,
    seqHoles: r.seqHoles,
    refused,
    p50: r.p50,
    p99: r.p99,
    p50ToAdapter: r.p50ToAdapter,
    ackP50: sent.ackP50Ms,
    publishRtt,
    batchMs: ad.batchMs,
    maxUnacked: ad.maxUnacked,
    cores: byProcess(cores),
    us: byProcess(us),
    load,
  };
}

const label = (rate: string) => (rate === 'max' ? 'max' : `${fmt(Number(rate))} msg/s`);
const rows: string[] = [];
const medians: Array<{ rate: string; run: Run }> = [];
const print = (line: string) => {
  rows.push(line);
  out(line);
};
out(TABLE_HEAD.join('\n'));
for (const rate of RATES) {
  const runs: Run[] = [];
  for (let i = 1; i <= REPEAT; i++) {
    runs.push(await runOnce(rate === 'max' ? 0 : Number(rate)));
    print(row(`${label(rate)}, run ${i}`, runs[runs.length - 1]!));
  }
  medians.push({ rate, run: medianRun(runs) });
  if (REPEAT > 1) print(row(`**${label(rate)}, median of ${REPEAT}**`, medians[medians.length - 1]!.run));
}
await publisher.quit();
await adapter.quit();
await tally.stop();
await analyst.stop();
await cleanup();
desk = undefined;
broker = undefined;

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Prosody, mosquitto, ${started.toISOString().slice(0, 16)}Z`;
const env = Object.entries(process.env)
  .filter(([k]) => /^TICKDESK_(BENCH|MQTT_BENCH)_/.test(k) && !/_(SECTION|MAX_S|PROFILE)$/.test(k))
  .map(([k, v]) => `${k}=${v} `)
  .join('');
const loads = medians.map((m) => m.run.load);
// Carried: nothing lost, duplicated or out of order, and both the devices' rate and the subscriber's
// at least 95 % of the offered rate (that rate is the figure); for `max`, what the subscriber received.
const carried = medians
  .filter((m) => clean(m.run))
  .map((m) => {
    if (m.rate === 'max') return m.run.received;
    const offered = Number(m.rate);
    return Math.min(m.run.published, m.run.received) >= 0.95 * offered ? offered : 0;
  });
const sustained = Math.max(0, ...carried);
const goal = `Highest rate carried end to end with nothing lost (medians): ${fmt(sustained)} msg/s; the goal, 20,000 msg/s with no loss, is ${sustained >= 20_000 ? 'met' : 'not met'} in this run.`;
out(goal);
if (SECTION !== 'none') {
  writeSection(
    join(root, 'docs/benchmarks.md'),
    SECTION,
    [
      `Machine: ${machine}. Command: \`${env}npm run bench:mqtt\` (${DEVICES} devices, ${SECONDS} s per run, first ${WARMUP_S} s and last ${TAIL_S} s not measured; load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} before the runs, last column). Lost = acknowledged by the broker to a device − ticks received; missing / duplicated / out of order are values per device, seq holes per symbol. CPU: cores busy while measuring, and CPU time over the messages sent for the whole run (its drain included); the subscriber is the benchmark's own process.`,
      '',
      ...TABLE_HEAD,
      ...rows,
      '',
      goal,
    ].join('\n'),
  );
  out('docs/benchmarks.md updated');
}
process.exit(0);
