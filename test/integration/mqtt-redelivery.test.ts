import { setTimeout as delay } from 'node:timers/promises';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tick } from '@tickdesk/schemas';
import type { Pubsub, XmppClient } from '@tickdesk/xmpp';
import { collectTicks, connect, desk, waitFor } from './helpers.js';
import { publishAll, sensorNodes, startAdapter, startBroker, waitForAsync, type Broker } from './mqtt-harness.js';

const TEMP = 'IOT.SITE1.TEMP';

let broker: Broker;
let owner: XmppClient;
let alice: XmppClient;
let device: MqttClient;
let ticks: Tick[];
const temps = () => ticks.filter((t) => t.symbol === TEMP).map((t) => t.price);

/**
 * The adapter's publishes reach the pubsub service at once but their replies come `replyDelayMs`
 * late: a loaded machine, where subscribers see an item before its publisher hears the answer.
 */
let replyDelayMs = 0;
const slowReplies = (p: Pubsub): Pubsub =>
  new Proxy(p, {
    get: (target, prop, receiver) =>
      prop === 'publish'
        ? async (...args: Parameters<Pubsub['publish']>) => {
            const wait = replyDelayMs;
            await target.publish(...args);
            if (wait > 0) await delay(wait);
          }
        : (Reflect.get(target, prop, receiver) as unknown),
  });

beforeAll(async () => {
  broker = await startBroker();
  owner = await connect('feed', 'mqtt-redelivery-nodes');
  alice = await connect('alice', 'mqtt-redelivery');
  await sensorNodes(owner, desk().pubsubHost, `alice@${desk().domain}`);
  ({ ticks } = await collectTicks(alice, [TEMP]));
  device = await broker.device();
  // The adapter's persistent session exists from its first subscription on.
  const first = await startAdapter(broker, desk().pubsubHost);
  await waitFor(() => first.source.state() === 'running', 10_000, 'the adapter connected');
  await first.stop();
  // The nodes' earlier items (other files' ticks) reach the subscriber first: counts start after them.
  for (let n = -1; n !== ticks.length;) {
    n = ticks.length;
    await delay(300);
  }
});
afterAll(async () => {
  await device?.endAsync();
  await alice?.stop();
  await owner?.stop();
  await broker?.stop();
});

describe('a broker restart while PUBACKs are on their way', () => {
  it('publishes each value once: what the broker sends again after it was published is acknowledged, not published again', async () => {
    const adapter = await startAdapter(broker, desk().pubsubHost, slowReplies);
    try {
      await waitFor(() => adapter.source.state() === 'running', 10_000, 'the adapter connected');
      const sessions = await adapter.sessions();
      const before = temps().length;
      const values = Array.from({ length: 100 }, (_, i) => `${(i % 9) + 1}.${(i % 8) + 1}`);
      replyDelayMs = 1_500;
      await publishAll(device, 'sites/site1/temp', values);
      // Subscribers have every value; the adapter has acknowledged none yet. The broker stops
      // now, saving them as unacknowledged, and sends them again (DUP) to the resumed session.
      await waitFor(() => temps().length >= before + 100, 20_000, 'the values at a subscriber');
      await device.endAsync();
      await broker.restart();
      replyDelayMs = 0;
      device = await broker.device();
      await waitForAsync(async () => (await adapter.sessions()) > sessions, 10_000, 'the adapter reconnected');

      const later = Array.from({ length: 100 }, (_, i) => `${(i % 7) + 1}.${(i % 9) + 1}`);
      await publishAll(device, 'sites/site1/temp', later);
      await waitFor(() => temps().length >= before + 200, 20_000, 'the later values');
      // Every message the broker sent is handled: 200, and the 100 it sent again, which are
      // acknowledged once the replies to their first publishes have come.
      const handled = async () => (await adapter.messages()) + (await adapter.repeated());
      await waitForAsync(async () => (await handled()) >= 300, 10_000, 'the messages sent again handled');
      await delay(500);
      expect(temps().slice(before)).toEqual([...values, ...later]);
      expect(await adapter.repeated()).toBe(100);
    } finally {
      replyDelayMs = 0;
      await adapter.stop();
    }
  });
});
