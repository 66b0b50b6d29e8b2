import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectMqtt,
  createDeviceRegistry,
  ensureCertificates,
  freePort,
  MQTT_ADMIN,
  MQTT_FEED,
} from '@tickdesk/infra';
import { parseDeskTopology } from '@tickdesk/schemas';
import { loadDeskConfig, type DeskConfig } from './config.js';
import { loadOrCreateCredentials } from './credentials.js';
import { deskMqtt, type DeskMqttPart } from './desk-mqtt.js';
import { createSupervisor, type PartStatus } from './supervisor.js';
import { buildDeskTopology } from './topology.js';

const home = mkdtempSync(join(tmpdir(), 'tickdesk-desk-mqtt-'));
const open: Array<Awaited<ReturnType<typeof connectMqtt>>> = [];
let part: DeskMqttPart | undefined;
let stopSupervisor: () => Promise<void> = async () => undefined;
afterAll(async () => {
  for (const c of open) await c.endAsync(true).catch(() => undefined);
  await stopSupervisor();
  await part?.stop();
  rmSync(home, { recursive: true, force: true });
});

const config = (env: Record<string, string>, feeds: string): DeskConfig =>
  loadDeskConfig({ TICKDESK_HOME: home, TICKDESK_FEED: feeds, ...env });

describe('desk topology: the MQTT broker', () => {
  it('is there only when the feed list has mqtt, on its interface and port', () => {
    expect(buildDeskTopology(config({}, 'synthetic'))).not.toHaveProperty('mqtt');
    const t = buildDeskTopology(config({ TICKDESK_MQTT_PORT: '18883' }, 'synthetic,mqtt'));
    expect(t.mqtt).toEqual({ host: '127.0.0.1', port: 18883 });
    expect(parseDeskTopology(JSON.stringify(t)).mqtt).toEqual(t.mqtt);
    // Listening on every interface, the services reach it on loopback (the certificate names 127.0.0.1).
    expect(buildDeskTopology(config({ TICKDESK_MQTT_INTERFACE: '0.0.0.0' }, 'mqtt')).mqtt?.host).toBe('127.0.0.1');
  });

  it("may not take another part's port, when it runs", () => {
    expect(() => config({ TICKDESK_MQTT_PORT: '6380' }, 'synthetic,mqtt')).toThrow(
      'port 6380 is both TICKDESK_REDIS_PORT and TICKDESK_MQTT_PORT',
    );
    expect(() =>
      config({ TICKDESK_MQTT_PORT: '5322', TICKDESK_XMPP_SERVER: 'ejabberd', TICKDESK_XMPP_NODES: '2' }, 'mqtt'),
    ).toThrow("port 5322 is both TICKDESK_MQTT_PORT and XMPP node 2's client port");
    expect(config({ TICKDESK_MQTT_PORT: '6380' }, 'synthetic').TICKDESK_MQTT_PORT).toBe(6380);
  });
});

describe('the desk broker, supervised', () => {
  let statuses: PartStatus[] = [];
  let ca = '';
  let url = '';
  const { credentials } = loadOrCreateCredentials(join(home, 'credentials.json'), 'desk.localhost');
  const users = credentials.mqtt!.users;
  beforeAll(async () => {
    const certs = ensureCertificates(join(home, 'certs'), 'desk.localhost');
    ca = readFileSync(certs.caCert, 'utf8');
    const address = { host: '127.0.0.1', port: await freePort() };
    url = `mqtts://${address.host}:${address.port}`;
    part = deskMqtt({ home, address, listen: '127.0.0.1', credentials, devicesMax: 5 });
    const p = part;
    const sup = createSupervisor({
      name: p.name,
      start: async () => {
        const proc = await p.start();
        return { pid: proc.pid, ended: proc.ended, stop: () => proc.stop() };
      },
      policy: { initialMs: 100 },
      report: () => undefined,
      onChange: (s) => statuses.push(s),
    });
    stopSupervisor = () => sup.stop();
    await sup.start();
  }, 30_000);

  const session = (extra = {}) =>
    connectMqtt(
      { url, ca, username: MQTT_FEED, password: users[MQTT_FEED]!, clientId: 'tickdesk-feed-mqtt' },
      { clean: false, properties: { sessionExpiryInterval: 86_400 }, ...extra },
    );

  it('comes back after a kill -9 with its devices, and the QoS 1 messages queued for a persistent session', async () => {
    const feed = await session();
    await feed.subscribeAsync('sites/#', { qos: 1 });
    await feed.endAsync();
    const registry = createDeviceRegistry({ url, ca, adminPassword: users[MQTT_ADMIN]! });
    const { password } = await registry.add('site1', 'sites/site1');
    const device = await connectMqtt({ url, ca, username: 'site1', password });
    await device.publishAsync('sites/site1/temp', '8.4', { qos: 1 });
    await device.endAsync();
    // The broker writes its store at autosave_interval (1 s) checked against whole seconds
    // (`last + interval < now`): up to about 2 s later. Wait for a write after the publish.
    const published = Date.now();
    const store = join(home, 'mqtt', 'data', 'mosquitto.db');
    const saved = () => existsSync(store) && statSync(store).mtimeMs > published;
    const until0 = Date.now() + 10_000;
    while (!saved() && Date.now() < until0) await new Promise((r) => setTimeout(r, 50));
    expect(saved()).toBe(true);
    const pid = part!.server!.process.pid;
    statuses = [];
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 15_000;
    while (!statuses.some((s) => s.state === 'running' && s.pid !== pid && s.pid > 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(statuses.map((s) => s.state)).toContain('restarting');
    const back = statuses.at(-1)!;
    expect(back).toMatchObject({ state: 'running', restarts: 1, lastExit: 'SIGKILL' });
    const received: string[] = [];
    const again = await session();
    open.push(again);
    again.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
    const until = Date.now() + 5000;
    while (received.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(received).toEqual(['sites/site1/temp 8.4']);
    expect(await registry.list()).toEqual([{ name: 'site1', topics: 'sites/site1' }]);
    expect(readFileSync(join(home, 'mqtt', 'mosquitto.conf'), 'utf8')).toMatch(/^max_connections 10$/m);
  }, 30_000);
});
