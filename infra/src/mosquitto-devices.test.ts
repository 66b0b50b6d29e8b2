import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCertificates, type CertPaths } from './certs.js';
import { connectMqtt } from './mosquitto-connect.js';
import { checkDeviceName, checkTopicPrefix } from './mosquitto-device-names.js';
import { createDeviceRegistry, type DeviceRegistry } from './mosquitto-devices.js';
import { completeMqttCredentials, MQTT_ADMIN, MQTT_FEED } from './mosquitto-dynsec.js';
import { startMosquitto, type MosquittoServer } from './mosquitto-server.js';
import { freePort } from './ports.js';

const refusal = (f: () => unknown): Error & { code?: string } => {
  try {
    f();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('not refused');
};

describe('device names and topic prefixes', () => {
  it('takes plain names and prefixes', () => {
    expect(checkDeviceName('truck-7.gps_1')).toBe('truck-7.gps_1');
    expect(checkTopicPrefix('sites/site1')).toBe('sites/site1');
    expect(checkTopicPrefix('usines/Lyon/°C')).toBe('usines/Lyon/°C');
  });

  it.each([
    ['', /1 to 64/],
    ['x'.repeat(65), /1 to 64/],
    ['-lead', /letters, digits/],
    ['a b', /letters, digits/],
    ['a/b', /letters, digits/],
    ['mqtt-feed', /reserved/],
    ['mqtt-other', /reserved/],
  ])('refuses the name %j', (name, why) => {
    expect(refusal(() => checkDeviceName(name))).toMatchObject({ code: 'TICKDESK_INFRA_DEVICE_NAME' });
    expect(refusal(() => checkDeviceName(name)).message).toMatch(why);
  });

  it.each([
    ['', /1 to 200/],
    ['a'.repeat(201), /1 to 200/],
    ['sites/+', /wildcard/],
    ['sites/#', /wildcard/],
    ['#', /wildcard/],
    ['$SYS', /"\$"/],
    ['$CONTROL/dynamic-security/v1', /"\$"/],
    ['/sites', /empty level/],
    ['sites/', /empty level/],
    ['sites//a', /empty level/],
    ['sites/\u0000', /control/],
    ['sites/\ud800', /surrogate/],
  ])('refuses the prefix %j', (prefix, why) => {
    expect(refusal(() => checkTopicPrefix(prefix))).toMatchObject({ code: 'TICKDESK_INFRA_DEVICE_TOPICS' });
    expect(refusal(() => checkTopicPrefix(prefix)).message).toMatch(why);
  });
});

describe('devices of a real broker', () => {
  const { mqtt: credentials } = completeMqttCredentials(undefined);
  let dir: string;
  let certs: CertPaths;
  let ca: string;
  let broker: MosquittoServer;
  let registry: DeviceRegistry;
  let feed: MqttClient;
  const received: Array<[string, string]> = [];
  const open: MqttClient[] = [];
  const connectAs = async (username: string, password: string) => {
    const c = await connectMqtt({ url: broker.url, ca, username, password });
    open.push(c);
    return c;
  };
  const start = async (port: number) =>
    (broker = await startMosquitto({ dir: join(dir, 'mqtt'), port, certs, credentials }));
  const settle = () => new Promise((r) => setTimeout(r, 300));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickdesk-devices-'));
    certs = ensureCertificates(join(dir, 'certs'), 'desk.localhost');
    ca = readFileSync(certs.caCert, 'utf8');
    await start(await freePort());
    const admin = { url: broker.url, ca, adminPassword: credentials.users[MQTT_ADMIN]! };
    registry = createDeviceRegistry({ ...admin, max: 3 });
    feed = await connectAs(MQTT_FEED, credentials.users[MQTT_FEED]!);
    feed.on('message', (topic, payload) => received.push([topic, payload.toString()]));
    await feed.subscribeAsync('#', { qos: 1 });
  }, 30_000);
  afterAll(async () => {
    for (const c of open) await c.endAsync(true).catch(() => undefined);
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds a device that may publish under its prefix only, and never subscribe', async () => {
    const { password } = await registry.add('site1', 'sites/site1');
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await registry.list()).toEqual([{ name: 'site1', topics: 'sites/site1' }]);
    const device = await connectAs('site1', password);
    await device.publishAsync('sites/site1/temp', '8.4', { qos: 1 });
    await device.publishAsync('sites/site1', '1', { qos: 1 });
    // Outside its prefix: refused (PUBACK 135, not authorized) and never delivered.
    await expect(device.publishAsync('sites/site2/temp', '99.9', { qos: 1 })).rejects.toMatchObject({ code: 135 });
    await expect(device.publishAsync('sites/site1x', '99.9', { qos: 1 })).rejects.toMatchObject({ code: 135 });
    await device.publishAsync('sites/site3/temp', '99.9', { qos: 0 });
    await expect(device.subscribeAsync('sites/#', { qos: 1 })).rejects.toThrow(/Not authorized/);
    await settle();
    expect(received).toEqual([
      ['sites/site1/temp', '8.4'],
      ['sites/site1', '1'],
    ]);
  });

  it('refuses a device with a wrong password, one that exists, one too many', async () => {
    await expect(connectMqtt({ url: broker.url, ca, username: 'site1', password: 'wrong' })).rejects.toMatchObject({
      code: 135,
    });
    await expect(registry.add('site1', 'sites/other')).rejects.toMatchObject({ code: 'TICKDESK_INFRA_DEVICE_EXISTS' });
    await expect(registry.add('bad name', 'sites/x')).rejects.toMatchObject({ code: 'TICKDESK_INFRA_DEVICE_NAME' });
    await expect(registry.add('x', 'sites/#')).rejects.toMatchObject({ code: 'TICKDESK_INFRA_DEVICE_TOPICS' });
    await registry.add('truck7', 'vehicles/truck7');
    await registry.add('truck8', 'vehicles/truck8');
    const tooMany = (await registry.add('truck9', 'vehicles/truck9').catch((e: unknown) => e)) as Error;
    expect(tooMany).toMatchObject({ code: 'TICKDESK_INFRA_DEVICE_LIMIT' });
    expect(tooMany.message).toContain('TICKDESK_MQTT_DEVICES_MAX=3');
    expect((await registry.list()).map((d) => d.name)).toEqual(['site1', 'truck7', 'truck8']);
  });

  it('keeps its devices across a restart of the broker, and removes one', async () => {
    await registry.remove('truck8');
    const { password } = await registry.add('truck9', 'vehicles/truck9');
    const port = broker.port;
    await broker.stop();
    await start(port);
    const device = await connectAs('truck9', password);
    await device.publishAsync('vehicles/truck9/speed', '88', { qos: 1 });
    expect((await registry.list()).map((d) => d.name)).toEqual(['site1', 'truck7', 'truck9']);
    await registry.remove('truck9');
    await expect(connectMqtt({ url: broker.url, ca, username: 'truck9', password })).rejects.toMatchObject({
      code: 135,
    });
    await expect(registry.remove('truck9')).rejects.toMatchObject({ code: 'TICKDESK_INFRA_DEVICE_UNKNOWN' });
    await expect(registry.remove('mqtt-feed')).rejects.toMatchObject({ code: 'TICKDESK_INFRA_DEVICE_NAME' });
  });

  it('refuses a wrong admin password without saying it, and writes no password to the broker log', async () => {
    const wrong = createDeviceRegistry({ url: broker.url, ca, adminPassword: 'not-the-admin-password' });
    const err = (await wrong.list().catch((e: unknown) => e)) as Error & { code?: string };
    expect(err.code).toBe('TICKDESK_INFRA_MQTT_CONTROL_FAILED');
    expect(err.message).not.toContain('not-the-admin-password');
    const log = readFileSync(broker.logPath, 'utf8');
    expect(log).toContain(MQTT_ADMIN);
    for (const password of Object.values(credentials.users)) expect(log).not.toContain(password);
  });
});
