import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import pino from 'pino';
import { connectMqtt, freePort } from '@tickdesk/infra';
import { SAMPLE_MAP_FILE } from '@tickdesk/feed-mqtt';
import { decodeTickRows, ticksNode } from '@tickdesk/schemas';
import { createItemSubscriber } from '@tickdesk/xmpp';
import { startClusterDesk, type ClusterDesk } from '../cluster/cluster-desk.js';
import { openBrowser } from '../support/browser.js';
import { byTestId } from './helpers.js';
import { connectTo, restAs, runTickdesk, traderOn, type ClusterTrader } from '../cluster/desk-watchers.js';

/**
 * The sensor desk as a newcomer starts it: `tickdesk up` from the build with
 * TICKDESK_FEED=synthetic,mqtt (its own folder and free ports, not the e2e project's desk).
 * Its map is the sample's four sensors, which the demo devices publish (the dashboard shows
 * them moving, in their unit), and one sensor of
 * the test's own, published by a device the CLI adds: 1,000 QoS 1 values arrive as 1,000
 * ticks in order and the recorder's last value is the last one sent; a rule on it fires
 * from a publish and its alert is receipted; the broker refuses a wrong password and a
 * client without TLS; a kill -9 of the MQTT feed loses nothing published meanwhile.
 */

const SYMBOL = 'IOT.E2E.PROBE';
const TOPIC = 'e2e/probe1/temp';
const log = pino({ level: process.env.TICKDESK_TEST_LOG ?? 'silent' });

let desk: ClusterDesk;
let mapDir: string;
let mqttPort: number;
let alice: ClusterTrader | undefined;
let device: Awaited<ReturnType<typeof connectMqtt>> | undefined;
/** Every tick of SYMBOL received by an analyst's subscription, in arrival order. */
const ticks: Array<{ seq: number; price: string }> = [];
let stopTicks: (() => Promise<void>) | undefined;

const tickdesk = (...args: string[]) => runTickdesk(desk.home, args);

/** A JSON answer of the desk's API as one of its accounts. */
async function api(user: string) {
  const call = await restAs(desk, user);
  return async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await call(method, path, body);
    return { status: res.status, body: (await res.json()) as T };
  };
}

async function until<T>(read: () => Promise<T> | T, done: (v: T) => boolean, what: string, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Canonical decimal strings (no trailing zeros), distinct, within the sensor's -50..150: n hundredths. */
const valueOf = (n: number): string => {
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  const frac = String(a % 100)
    .padStart(2, '0')
    .replace(/0+$/, '');
  return `${sign}${Math.floor(a / 100)}${frac ? `.${frac}` : ''}`;
};

const mqttUrl = () => `mqtts://127.0.0.1:${mqttPort}`;
const publishAll = (values: readonly string[]) =>
  Promise.all(values.map((v) => device!.publishAsync(TOPIC, v, { qos: 1 })));
const prices = () => ticks.map((t) => t.price);

describe('the sensor desk (TICKDESK_FEED=synthetic,mqtt)', () => {
  beforeAll(async () => {
    const sample = JSON.parse(readFileSync(SAMPLE_MAP_FILE, 'utf8')) as { sensors: unknown[] };
    mapDir = mkdtempSync(join(tmpdir(), 'tickdesk-sensor-map-'));
    const mapFile = join(mapDir, 'sensors.json');
    const own = { topic: TOPIC, symbol: SYMBOL, name: 'E2E probe', unit: '°C', decimals: 2, min: '-50', max: '150' };
    writeFileSync(mapFile, JSON.stringify({ sensors: [...sample.sensors, own] }));
    mqttPort = await freePort();
    desk = await startClusterDesk({
      nodes: 1,
      xmppServer: inject('e2e').xmppServer,
      keepOnFailure: true,
      env: {
        TICKDESK_FEED: 'synthetic,mqtt',
        TICKDESK_MQTT_PORT: String(mqttPort),
        TICKDESK_MQTT_MAP_FILE: mapFile,
        TICKDESK_FEED_RATE: '20',
        TICKDESK_LOG_LEVEL: 'warn',
        TICKDESK_API_LOGIN_RATE_MAX: '1000',
      },
    });
    const analyst = await connectTo(desk, 'carol', 0, 'sensor-ticks');
    const sub = createItemSubscriber({
      client: analyst,
      service: 'pubsub.desk.localhost',
      nodes: [ticksNode(SYMBOL)],
      decode: decodeTickRows,
      log,
      onItem: (b) => {
        for (const r of b.rows) ticks.push({ seq: r.seq, price: r.price });
      },
    });
    await sub.start();
    stopTicks = async () => {
      await sub.stop();
      await analyst.stop();
    };
    alice = await traderOn(desk, 'alice', 0);
  });
  let failed = false;
  afterEach(({ task }) => {
    if (task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    await device?.endAsync().catch(() => undefined);
    await stopTicks?.().catch(() => undefined);
    await alice?.client.stop().catch(() => undefined);
    await desk?.stop(failed);
    if (mapDir) rmSync(mapDir, { recursive: true, force: true });
  });

  it('the dashboard lists the sample sensors with their unit, moving by the demo devices', async () => {
    const browser = await openBrowser();
    try {
      const page = browser.page;
      page.setDefaultTimeout(20_000);
      await page.goto(`${desk.apiUrl}/`);
      // As failover-desk.test.ts does: helpers.ts's login knows the project's desk, not this one.
      await byTestId(page, 'login-jid').fill('alice@desk.localhost');
      await byTestId(page, 'login-password').fill(desk.credentials().accounts.alice!.password);
      await byTestId(page, 'login-submit').click();
      const row = page.locator('[data-testid="watch-row"][data-symbol="IOT.SITE1.TEMP"]');
      await row.waitFor();
      expect(await row.getAttribute('data-kind')).toBe('sensor');
      const last = byTestId(row, 'watch-last');
      const first = await until(
        async () => (await last.textContent())?.trim() ?? '',
        (t) => /°C$/.test(t),
        'a value in °C',
        20_000,
      );
      await until(
        async () => (await last.textContent())?.trim() ?? '',
        (t) => t !== first && /°C$/.test(t),
        'another value',
        20_000,
      );
    } finally {
      await browser.close();
    }
  });

  it("runs the broker, the MQTT feed and the demo devices, whose values move the sample's sensors", async () => {
    expect(Object.keys(desk.state().parts)).toEqual(expect.arrayContaining(['mqtt', 'feed', 'feed-mqtt', 'mqtt-demo']));
    const rest = await api('alice');
    const { body } = await rest<{ instruments: Array<{ symbol: string; kind: string; unit?: string }> }>(
      'GET',
      '/v1/instruments',
    );
    expect(body.instruments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ symbol: 'IOT.SITE1.TEMP', kind: 'sensor', unit: '°C' }),
        expect.objectContaining({ symbol: SYMBOL, kind: 'sensor' }),
      ]),
    );
    const seen = new Set<string>();
    await until(
      async () => {
        const r = await rest<{ prices: Array<{ symbol: string; price: string }> }>('GET', '/v1/prices');
        const p = r.body.prices.find((x) => x.symbol === 'IOT.SITE1.TEMP')?.price;
        if (p !== undefined) seen.add(p);
        return seen.size;
      },
      (n) => n >= 2,
      'two values of IOT.SITE1.TEMP from the demo device',
      20_000,
    );
    expect((await tickdesk('status')).out).toMatch(/^\s*mqtt-demo\s+running \(pid \d+\)/m);
    const listed = await tickdesk('devices', 'list');
    expect(listed.out).toMatch(/^demo-iot\.site1\.temp\s+sites\/site1\/temp\/#$/m);
  });

  it('a device added by the CLI publishes 1,000 QoS 1 values: 1,000 ticks in order, the last value recorded exactly', async () => {
    const added = await tickdesk('devices', 'add', 'e2e-probe', '--topics', 'e2e/probe1');
    expect(added.code, added.out).toBe(0);
    const password = /password {2}(\S+)/.exec(added.out)?.[1];
    expect(password).toBeDefined();
    expect(added.out).toContain(`mqtts://127.0.0.1:${mqttPort}`);
    device = await connectMqtt({ url: mqttUrl(), ca: desk.ca(), username: 'e2e-probe', password: password! });
    // 1,000 distinct values from -49.99 up, ending on -40 (canonical text: what the feed would write itself).
    const values = Array.from({ length: 1000 }, (_, i) => valueOf(-4999 + i));
    const start = Date.now();
    await publishAll(values);
    await until(
      () => ticks.length,
      (n) => n >= 1000,
      '1,000 ticks',
      30_000,
    );
    const elapsed = Date.now() - start;
    expect(prices()).toEqual(values);
    expect(ticks.every((t, i) => i === 0 || t.seq > ticks[i - 1]!.seq)).toBe(true);
    const rest = await api('carol');
    const last = await until(
      async () => (await rest<{ price?: string }>('GET', `/v1/instruments/${SYMBOL}/last`)).body.price,
      (p) => p === values.at(-1),
      'the recorded last value',
      10_000,
    );
    expect(last).toBe('-40');
    process.stdout.write(`1,000 QoS 1 sensor values to 1,000 ticks in ${elapsed} ms\n`);
  });

  it('a rule on the sensor fires from an MQTT publish and its alert is delivered by the receipt', async () => {
    const rest = await api('alice');
    const created = await rest<{ id: string }>('POST', '/v1/rules', {
      symbol: SYMBOL,
      condition: 'greater-than',
      threshold: '8.0',
      frequency: 'once',
      priority: 'normal',
    });
    expect(created.status).toBe(201);
    // The engine loads a new rule within its sync; values below the level first, then one above it.
    await new Promise((r) => setTimeout(r, 1_500));
    await publishAll(['7.5', '8.5']);
    const alert = await until(
      async () =>
        (
          await rest<{ alerts: Array<{ id: string; ruleId: string; state: string; price: string }> }>(
            'GET',
            `/v1/alerts?symbol=${SYMBOL}`,
          )
        ).body.alerts.find((a) => a.ruleId === created.body.id),
      (a) => a?.state === 'delivered',
      'the alert delivered',
      30_000,
    );
    expect(alert!.price).toBe('8.5');
    expect(alice!.ids().has(alert!.id)).toBe(true);
  });

  it('refuses a wrong password and a client without TLS', async () => {
    await expect(
      connectMqtt({ url: mqttUrl(), ca: desk.ca(), username: 'e2e-probe', password: 'wrong', timeoutMs: 5_000 }),
    ).rejects.toThrow(/not authori[sz]ed/i);
    await expect(
      connectMqtt({
        url: `mqtt://127.0.0.1:${mqttPort}`,
        ca: desk.ca(),
        username: 'e2e-probe',
        password: 'wrong',
        timeoutMs: 5_000,
      }),
    ).rejects.toThrow();
  });

  it('kill -9 of the MQTT feed: up restarts it, and the values published meanwhile arrive', async () => {
    const before = desk.state().parts['feed-mqtt']!;
    const from = ticks.length;
    process.kill(before.pid, 'SIGKILL');
    // Published while the adapter is down: the broker keeps them for its persistent session.
    const values = Array.from({ length: 200 }, (_, i) => valueOf(10_000 + i));
    await publishAll(values);
    await until(
      () => desk.state().parts['feed-mqtt']!,
      (p) => p.restarts > before.restarts && p.state === 'running',
      'feed-mqtt restarted',
      30_000,
    );
    await until(
      () => ticks.length - from,
      (n) => n >= values.length,
      '200 ticks after the restart',
      30_000,
    );
    expect(prices().slice(from)).toEqual(values);
  });

  it('kill -9 of the broker: up restarts it, the demo devices publish again without a restart of their own', async () => {
    const before = desk.state().parts;
    const since = new Date().toISOString();
    process.kill(before.mqtt!.pid, 'SIGKILL');
    await until(
      () => desk.state().parts.mqtt!,
      (p) => p.restarts > before.mqtt!.restarts && p.state === 'running',
      'the broker restarted',
      30_000,
    );
    await demoValueAfter(since);
    expect(desk.state().parts['mqtt-demo']!.restarts).toBe(before['mqtt-demo']!.restarts);
  });

  it('a demo device an admin removes comes back with the demo, which up restarts', async () => {
    const before = desk.state().parts['mqtt-demo']!;
    const removed = await tickdesk('devices', 'remove', 'demo-iot.site1.temp');
    expect(removed.out).toContain('removed device demo-iot.site1.temp');
    const since = new Date().toISOString();
    await until(
      () => desk.state().parts['mqtt-demo']!,
      (p) => p.restarts > before.restarts && p.state === 'running',
      'the demo restarted',
      30_000,
    );
    await demoValueAfter(since);
    expect((await tickdesk('devices', 'list')).out).toMatch(/^demo-iot\.site1\.temp\s/m);
  });
});

/** Waits for a value of the demo's IOT.SITE1.TEMP sent after `since` (UTC, XEP-0082) to be recorded. */
async function demoValueAfter(since: string): Promise<void> {
  const rest = await api('carol');
  await until(
    async () => (await rest<{ eventTime?: string }>('GET', '/v1/instruments/IOT.SITE1.TEMP/last')).body.eventTime ?? '',
    (t) => t > since,
    `a demo value after ${since}`,
    30_000,
  );
}
