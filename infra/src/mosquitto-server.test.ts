import { connect as tcpConnect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCertificates, type CertPaths } from './certs.js';
import { connectMqtt } from './mosquitto-connect.js';
import { completeMqttCredentials, MQTT_ADMIN, MQTT_FEED } from './mosquitto-dynsec.js';
import { renderMosquittoConfig, startMosquitto, type MosquittoServer } from './mosquitto-server.js';
import { freePort } from './ports.js';

const certs = { caCert: '/d/certs/ca.crt', serverCert: '/d/certs/server.crt', serverKey: '/d/certs/server.key' };
const { mqtt: credentials } = completeMqttCredentials(undefined);

describe('MQTT credentials', () => {
  it("generates the broker's two accounts' passwords, keeps the ones it has", () => {
    expect(Object.keys(credentials.users).sort()).toEqual([MQTT_ADMIN, MQTT_FEED]);
    const older = completeMqttCredentials({ users: { [MQTT_ADMIN]: 'kept-admin-password-1234' } });
    expect(older.added).toBe(true);
    expect(older.mqtt.users[MQTT_ADMIN]).toBe('kept-admin-password-1234');
    expect(older.mqtt.users[MQTT_FEED]).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(completeMqttCredentials(older.mqtt)).toEqual({ mqtt: older.mqtt, added: false });
  });
});

describe('mosquitto config', () => {
  const cfg = renderMosquittoConfig(
    { dir: '/d/mqtt', port: 18883, certs: certs as CertPaths, credentials },
    'deskuser',
  );
  const line = (re: RegExp) => expect(cfg).toMatch(re);

  it('runs as the desk user, one TLS listener (1.2 at least), no anonymous client', () => {
    line(/^user deskuser$/m);
    line(/^listener 18883 127\.0\.0\.1$/m);
    expect(cfg.match(/^listener /gm)).toHaveLength(1);
    expect(cfg).not.toMatch(/^port /m);
    line(/^cafile \/d\/certs\/ca\.crt$/m);
    line(/^certfile \/d\/certs\/server\.crt$/m);
    line(/^keyfile \/d\/certs\/server\.key$/m);
    line(/^tls_version tlsv1\.2$/m);
    line(/^allow_anonymous false$/m);
    line(/^plugin \/usr\/lib\/x86_64-linux-gnu\/mosquitto_dynamic_security\.so$/m);
    line(/^plugin_opt_config_file \/d\/mqtt\/dynamic-security\.json$/m);
    expect(cfg).not.toContain('{{');
  });

  it('keeps sessions on disk, saved every second, with bounded queues and payloads', () => {
    line(/^persistence true$/m);
    line(/^persistence_location \/d\/mqtt\/data\/$/m);
    line(/^autosave_interval 1$/m);
    line(/^max_inflight_messages 1000$/m);
    line(/^max_queued_messages 100000$/m);
    line(/^message_size_limit 1024$/m);
    line(/^max_connections 2000$/m);
  });

  it('takes another interface and limits, and refuses a limit that is not a positive integer', () => {
    const other = renderMosquittoConfig(
      { dir: '/d', port: 8883, host: '0.0.0.0', certs: certs as CertPaths, credentials, maxQueuedMessages: 50 },
      'u',
    );
    expect(other).toMatch(/^listener 8883 0\.0\.0\.0$/m);
    expect(other).toMatch(/^max_queued_messages 50$/m);
    const bad = { dir: '/d', port: 1, certs: certs as CertPaths, credentials, messageSizeLimit: 0 };
    expect(() => renderMosquittoConfig(bad, 'u')).toThrow(RangeError);
  });
});

describe('mosquitto of the desk (a real broker)', () => {
  let dir: string;
  let broker: MosquittoServer;
  let ca: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickdesk-mqtt-'));
    const paths = ensureCertificates(join(dir, 'certs'), 'desk.localhost');
    ca = readFileSync(paths.caCert, 'utf8');
    broker = await startMosquitto({ dir: join(dir, 'mqtt'), port: await freePort(), certs: paths, credentials });
  }, 30_000);
  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const login = (username: string, password: string) => ({ url: broker.url, ca, username, password });

  it('keeps its folder and files private', () => {
    expect(statSync(join(dir, 'mqtt')).mode & 0o777).toBe(0o700);
    for (const f of ['mosquitto.conf', 'dynamic-security.json', 'mosquitto.log'])
      expect(statSync(join(dir, 'mqtt', f)).mode & 0o777).toBe(0o600);
  });

  it('refuses a wrong password and an unknown account (CONNACK 135, not authorized)', async () => {
    await expect(connectMqtt(login(MQTT_FEED, 'not-the-password'))).rejects.toMatchObject({ code: 135 });
    await expect(connectMqtt(login('nobody', 'x'))).rejects.toMatchObject({ code: 135 });
    const right = await connectMqtt(login(MQTT_FEED, credentials.users[MQTT_FEED]!));
    await right.endAsync();
  });

  it('refuses a plain-TCP connection: the listener speaks TLS only', async () => {
    const plain = connectMqtt({
      ...login(MQTT_FEED, credentials.users[MQTT_FEED]!),
      url: `mqtt://127.0.0.1:${broker.port}`,
      timeoutMs: 3000,
    });
    await expect(plain).rejects.toThrow();
    // A raw MQTT CONNECT in clear gets no CONNACK: the broker closes the connection.
    const answer = await new Promise<string>((resolve) => {
      const s = tcpConnect(broker.port, '127.0.0.1', () =>
        s.write(Buffer.from('101000044d5154540502003c000003616263', 'hex')),
      );
      let got = '';
      s.on('data', (d) => (got += d.toString('hex')));
      s.on('error', () => undefined);
      s.on('close', () => resolve(got));
    });
    expect(answer).toBe('');
  });

  it('lets the feed account subscribe to every sensor topic but not publish', async () => {
    const feed = await connectMqtt(login(MQTT_FEED, credentials.users[MQTT_FEED]!));
    try {
      const granted = await feed.subscribeAsync('#', { qos: 1 });
      expect(granted[0]?.qos).toBe(1);
      const got: string[] = [];
      feed.on('message', (topic) => got.push(topic));
      await expect(feed.publishAsync('sites/site1/temp', '8.4', { qos: 1 })).rejects.toMatchObject({ code: 135 });
      await new Promise((r) => setTimeout(r, 200));
      expect(got).toEqual([]);
    } finally {
      await feed.endAsync();
    }
  });

  it('never writes the admin password to its log or its dynamic-security file', async () => {
    const admin = await connectMqtt(login(MQTT_ADMIN, credentials.users[MQTT_ADMIN]!));
    await admin.endAsync();
    const log = readFileSync(broker.logPath, 'utf8');
    expect(log).toContain(MQTT_ADMIN);
    for (const text of [log, readFileSync(join(dir, 'mqtt', 'dynamic-security.json'), 'utf8')])
      for (const password of Object.values(credentials.users)) expect(text).not.toContain(password);
  });
});
