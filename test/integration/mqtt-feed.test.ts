import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tick } from '@tickdesk/schemas';
import type { Pubsub, XmppClient } from '@tickdesk/xmpp';
import { collectTicks, connect, desk, waitFor } from './helpers.js';
import { publishAll, sensorNodes, startAdapter, startBroker, waitForAsync, type Broker } from './mqtt-harness.js';

const HUMIDITY = 'IOT.SITE1.HUMIDITY';
const TEMP = 'IOT.SITE1.TEMP';
const FREEZER = 'IOT.SITE1.FREEZER';

let broker: Broker;
let owner: XmppClient;
let alice: XmppClient;
let device: MqttClient;
let ticks: Tick[];
const of = (symbol: string) => ticks.filter((t) => t.symbol === symbol).map((t) => t.price);

beforeAll(async () => {
  broker = await startBroker();
  owner = await connect('feed', 'mqtt-nodes');
  alice = await connect('alice', 'mqtt-test');
  await sensorNodes(owner, desk().pubsubHost, `alice@${desk().domain}`);
  ({ ticks } = await collectTicks(alice, [HUMIDITY, TEMP, FREEZER]));
  device = await broker.device();
});
afterAll(async () => {
  await device?.endAsync();
  await alice?.stop();
  await owner?.stop();
  await broker?.stop();
});

describe('sensor values over MQTT → ticks on ticks/<SYMBOL>', () => {
  it('skips a retained value, and turns 1,000 QoS 1 values on a mapped topic into 1,000 ticks in order', async () => {
    // Retained before the adapter subscribes: it arrives flagged retained, a value of unknown age.
    await device.publishAsync('sites/site1/temp', '21.5', { qos: 1, retain: true });
    const adapter = await startAdapter(broker, desk().pubsubHost);
    try {
      await waitFor(() => adapter.source.state() === 'running', 10_000, 'the adapter connected');
      // Canonical, positive values (0.1 … 99.9), each with one decimal as the map allows.
      const values = Array.from({ length: 1000 }, (_, i) => `${Math.floor(i / 10)}.${(i % 9) + 1}`);
      const started = performance.now();
      await publishAll(device, 'sites/site1/humidity', values);
      await waitFor(() => of(HUMIDITY).length >= 1000, 30_000, '1,000 humidity ticks');
      const ms = performance.now() - started;
      expect(of(HUMIDITY)).toEqual(values);
      const seqs = ticks.filter((t) => t.symbol === HUMIDITY).map((t) => t.seq);
      expect(seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1)).toBe(true);
      expect(await adapter.refused('retained-skipped')).toBe(1);
      expect(of(TEMP)).toEqual([]);
      console.info(`1,000 QoS 1 sensor values → ticks in ${ms.toFixed(0)} ms`);
      // Clearing the retained value (an empty retained message) reaches the adapter live: no value, refused.
      await device.publishAsync('sites/site1/temp', '', { qos: 1, retain: true });
      await waitForAsync(async () => (await adapter.refused('not-decimal')) === 1, 5_000, 'the empty message refused');
    } finally {
      await adapter.stop();
    }
  });

  it('counts invalid payloads and unmapped topics by reason and never publishes them', async () => {
    const adapter = await startAdapter(broker, desk().pubsubHost);
    try {
      await waitFor(() => adapter.source.state() === 'running', 10_000, 'the adapter connected');
      const before = ticks.length;
      const future = new Date(Date.now() + 60_000).toISOString();
      await device.publishAsync('sites/site1/temp', '8.4 °C', { qos: 1 });
      await device.publishAsync('sites/site1/temp', '{"value":8.4}', { qos: 1 });
      await device.publishAsync('sites/site1/temp', '8.45', { qos: 1 });
      await device.publishAsync('sites/site1/temp', '86', { qos: 1 });
      await device.publishAsync('sites/site1/temp', JSON.stringify({ value: '8.4', time: future }), { qos: 1 });
      await device.publishAsync('sites/site1/temp', '8.4', {
        qos: 1,
        properties: { userProperties: { time: 'soon' } },
      });
      await device.publishAsync('sites/site9/pressure', '1013', { qos: 1 });
      await device.publishAsync('sites/site1/temp', '8.4', { qos: 1 });
      // A sensor's values may be zero or negative: a freezer.
      await device.publishAsync('sites/site1/freezer', '-18.5', { qos: 1 });
      await device.publishAsync('sites/site1/freezer', '-0.0', { qos: 1 });
      await waitFor(() => of(TEMP).length >= 1 && of(FREEZER).length >= 2, 10_000, 'the valid values');
      expect(of(TEMP)).toEqual(['8.4']);
      expect(of(FREEZER)).toEqual(['-18.5', '0']);
      for (const reason of ['not-decimal', 'not-decimal', 'too-precise', 'out-of-range', 'future-time', 'bad-time'])
        expect(await adapter.refused(reason)).toBeGreaterThanOrEqual(1);
      expect(await adapter.refused('not-decimal')).toBe(2);
      expect(await adapter.refused('unmapped-topic')).toBe(1);
      expect(ticks.length).toBe(before + 3);
    } finally {
      await adapter.stop();
    }
  });

  it('loses nothing the broker acknowledged when the adapter dies without a clean disconnect', async () => {
    // The first adapter's publishes are never answered: its ticks stay unpublished, so unacknowledged.
    let hold = true;
    const held: Array<() => void> = [];
    const holding = (p: Pubsub): Pubsub =>
      new Proxy(p, {
        get: (target, prop, receiver) =>
          prop === 'publish' && hold
            ? () => new Promise<void>((_r, reject) => held.push(() => reject(new Error('adapter killed'))))
            : (Reflect.get(target, prop, receiver) as unknown),
      });
    const first = await startAdapter(broker, desk().pubsubHost, holding);
    const earlier = of(FREEZER).length;
    const freezer = () => of(FREEZER).slice(earlier);
    await waitFor(() => first.source.state() === 'running', 10_000, 'the first adapter connected');
    const values = Array.from({ length: 300 }, (_, i) => `${(i % 9) + 1}.${(i % 7) + 1}`);
    const received = await first.messages();
    await publishAll(device, 'sites/site1/freezer', values);
    expect(freezer()).toEqual([]);
    await waitFor(() => held.length > 0, 10_000, 'a held publish');
    await new Promise((r) => setTimeout(r, 200));
    expect(await first.messages()).toBeGreaterThan(received);
    first.kill();
    hold = false;
    held.forEach((fail) => fail());
    await first.stop();
    expect(freezer()).toEqual([]);

    const second = await startAdapter(broker, desk().pubsubHost);
    try {
      await waitFor(() => freezer().length >= 300, 20_000, 'the 300 freezer values again');
      expect(freezer()).toEqual(values);
    } finally {
      await second.stop();
    }
  });

  it('after a broker restart: what QoS 1 held for the absent adapter arrives once, and a connected adapter is back within 5 s', async () => {
    // Held: published while the adapter is away, kept in its persistent session across the restart.
    const held = Array.from({ length: 100 }, (_, i) => `${(i % 9) + 1}.${(i % 8) + 1}`);
    const before = of(TEMP).length;
    await publishAll(device, 'sites/site1/temp', held);
    await device.endAsync();
    await broker.restart();
    device = await broker.device();
    const adapter = await startAdapter(broker, desk().pubsubHost);
    try {
      await waitFor(() => of(TEMP).length >= before + 100, 20_000, 'the held values');
      expect(of(TEMP).slice(before)).toEqual(held);

      // Restart under a connected adapter at once: its last PUBACKs may not have reached the
      // broker, which then sends those values again; published already, they are not published twice.
      const sessions = await adapter.sessions();
      await device.endAsync();
      await broker.restart();
      const back = performance.now();
      device = await broker.device();
      const later = Array.from({ length: 100 }, (_, i) => `${(i % 7) + 1}.${(i % 9) + 1}`);
      await publishAll(device, 'sites/site1/temp', later);
      await waitForAsync(async () => (await adapter.sessions()) > sessions, 5_000, 'the adapter reconnected');
      const reconnectMs = performance.now() - back;
      await waitFor(() => of(TEMP).length >= before + 200, 20_000, 'the values sent after the restart');
      await new Promise((r) => setTimeout(r, 500));
      expect(of(TEMP).slice(before)).toEqual([...held, ...later]);
      expect(reconnectMs).toBeLessThan(5_000);
      console.info(`adapter back ${reconnectMs.toFixed(0)} ms after the broker`);
    } finally {
      await adapter.stop();
    }
  });
});
