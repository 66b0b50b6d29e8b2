import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCredentials } from '@tickdesk/desk';
import {
  connectMqtt,
  createDeviceRegistry,
  ensureCertificates,
  freePort,
  MQTT_ADMIN,
  startMosquitto,
  type MosquittoServer,
} from '@tickdesk/infra';
import type { Tick } from '@tickdesk/schemas';
import type { XmppClient } from '@tickdesk/xmpp';
import { runDeskService } from './desk-process.js';
import { collectTicks, connect, desk, waitFor } from './helpers.js';
import { sensorNodes } from './mqtt-harness.js';

// `tickdesk run feed` with TICKDESK_FEED=mqtt, as `up` runs the part feed-mqtt, against the shared
// desk and a broker with the desk's own CA and MQTT accounts; killed with SIGKILL mid-stream.
const TEMP = 'IOT.SITE1.TEMP';
let dir: string;
let broker: MosquittoServer;
let device: MqttClient;
let owner: XmppClient;
let alice: XmppClient;
let ticks: Tick[];
let port: number;

beforeAll(async () => {
  const d = desk();
  // The desk's credentials file gains its MQTT accounts as `up` would give them.
  const { credentials } = loadOrCreateCredentials(d.credentialsPath, d.domain);
  const certs = ensureCertificates(join(d.home, 'certs'), d.domain);
  dir = mkdtempSync(join(tmpdir(), 'tickdesk-mqtt-process-'));
  port = await freePort();
  broker = await startMosquitto({ dir, port, certs, credentials: credentials.mqtt! });
  const registry = createDeviceRegistry({
    url: broker.url,
    ca: d.ca,
    adminPassword: credentials.mqtt!.users[MQTT_ADMIN]!,
  });
  const { password } = await registry.add('probe-process', 'sites');
  device = await connectMqtt({ url: broker.url, ca: d.ca, username: 'probe-process', password });
  owner = await connect('feed', 'mqtt-process-nodes');
  alice = await connect('alice', 'mqtt-process');
  await sensorNodes(owner, d.pubsubHost, `alice@${d.domain}`);
  ({ ticks } = await collectTicks(alice, [TEMP]));
});
afterAll(async () => {
  await device?.endAsync();
  await alice?.stop();
  await owner?.stop();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function feedProcess() {
  const p = runDeskService('feed', {
    TICKDESK_FEED: 'mqtt',
    TICKDESK_MQTT_PORT: String(port),
    TICKDESK_FEED_METRICS_PORT: String(await freePort()),
  });
  // Subscribed once connected: a message published before the adapter's first session existed has no one to wait for it.
  // A busy machine compiles the desk from sources slowly; the process's own output says why if it never connects.
  await waitFor(() => p.output().includes('mqtt broker connected'), 45_000, 'the mqtt feed connected').catch(
    (err: Error) => {
      throw new Error(`${err.message}; its output:\n${p.output().slice(-2000)}`);
    },
  );
  return p;
}
const temps = () => ticks.filter((t) => t.symbol === TEMP).map((t) => t.price);

describe('the mqtt feed process', () => {
  it('killed with SIGKILL mid-stream and started again: every value the broker acknowledged arrives, in order', async () => {
    const first = await feedProcess();
    const values = Array.from({ length: 500 }, (_, i) => `${Math.floor(i / 9)}.${(i % 9) + 1}`);
    let exited = false;
    first.child.once('exit', () => (exited = true));
    for (const [i, v] of values.entries()) {
      if (i === 200) first.child.kill('SIGKILL');
      await device.publishAsync('sites/site1/temp', v, { qos: 1 });
    }
    await waitFor(() => exited, 10_000, 'the first process gone');
    const before = temps().length;
    expect(before).toBeLessThan(500);
    const second = await feedProcess();
    try {
      await waitFor(() => new Set(temps()).size >= 500, 30_000, 'every value');
      const got = temps();
      const firstSeen = got.filter((v, i) => got.indexOf(v) === i);
      expect(firstSeen).toEqual(values);
      // At least once: a value whose tick was published but not yet acknowledged comes again.
      console.info(`${before} values before the kill, ${got.length - 500} delivered twice`);
      const seqs = ticks.filter((t) => t.symbol === TEMP).map((t) => t.seq);
      expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
  }, 150_000);
});
