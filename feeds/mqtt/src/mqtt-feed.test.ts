import { afterEach, describe, expect, it } from 'vitest';
import { setup, stopAll, tick } from './mqtt-fake.test-util.js';

afterEach(stopAll);

describe('MQTT feed', () => {
  it('connects as MQTT 5 with a fixed client id, a persistent session, and room for 1,000 unacknowledged messages', async () => {
    const { feed, clients, source } = setup();
    await feed.start();
    await tick();
    expect(clients[0]!.options).toMatchObject({
      protocolVersion: 5,
      clientId: 'tickdesk-feed-mqtt',
      clean: false,
      reconnectPeriod: 0,
      properties: { sessionExpiryInterval: 86_400, receiveMaximum: 1000 },
    });
    expect(source.state()).toBe('running');
  });

  it('acknowledges a QoS 1 message to the broker only once its tick is published, in arrival order', async () => {
    const { feed, clients, held } = setup();
    await feed.start();
    await tick();
    const c = clients[0]!;
    expect(c.deliver(7, 'sites/s1/temp', '8.4')).toBe(false);
    expect(c.deliver(8, 'sites/s1/temp', '{"value":"8.5"}')).toBe(false);
    await tick();
    expect(held).toHaveLength(1);
    expect(held[0]!.payload).toContain(' seq="1000"');
    expect(held[0]!.payload).toMatch(/0 8\.4 0 .*;1 8\.5 0 /);
    expect(c.pubacks).toEqual([]);
    held[0]!.resolve();
    await tick();
    expect(c.pubacks).toEqual([7, 8]);
  });

  it('reads no further message while receiveMaximum are unacknowledged, even when the broker sends more', async () => {
    // Debian's mosquitto 2.0.11 overruns the receive maximum once PUBACKs flow (docs/benchmarks.md,
    // "Sensors over MQTT"): past the feed core's per-instrument limit, ticks would be conflated and acknowledged.
    const { feed, clients, held } = setup({ receiveMaximum: 2 });
    await feed.start();
    await tick();
    const c = clients[0]!;
    const read: number[] = [];
    for (const id of [1, 2])
      c.handleMessage(
        {
          cmd: 'publish',
          qos: 1,
          dup: false,
          retain: false,
          messageId: id,
          topic: 'sites/s1/temp',
          payload: Buffer.from('8.4'),
        },
        () => read.push(id),
      );
    await tick();
    // mqtt.js reads the next packet once handleMessage calls back: the second one holds it.
    expect(read).toEqual([1]);
    expect(held).toHaveLength(1);
    held[0]!.resolve();
    await tick();
    expect(c.pubacks).toEqual([1, 2]);
    expect(read).toEqual([1, 2]);
  });

  it('never acknowledges a message whose tick the feed core dropped (conflated): the broker sends it again', async () => {
    const { feed, clients, held } = setup({}, { maxPendingPerInstrument: 1, maxInFlight: 1 });
    await feed.start();
    await tick();
    const c = clients[0]!;
    c.deliver(1, 'sites/s1/temp', '8.1');
    await tick();
    expect(held).toHaveLength(1);
    c.deliver(2, 'sites/s1/temp', '8.2');
    c.deliver(3, 'sites/s1/temp', '8.3');
    await tick();
    expect(c.ended).toBe(true);
    held[0]!.resolve();
    await tick();
    expect(c.pubacks).toEqual([]);
  });

  it('publishes a QoS 0 value too, with nothing to acknowledge', async () => {
    const { feed, clients, held } = setup();
    await feed.start();
    await tick();
    expect(clients[0]!.deliver(0, 'sites/s1/temp', '-3.5', { qos: 0, messageId: undefined })).toBe(true);
    await tick();
    expect(held).toHaveLength(1);
    expect(held[0]!.payload).toMatch(/0 -3\.5 0 /);
    held[0]!.resolve();
    await tick();
    expect(clients[0]!.pubacks).toEqual([]);
  });

  it('on stop, publishes and acknowledges what it received before closing the session', async () => {
    const { feed, clients, held, source } = setup();
    await feed.start();
    await tick();
    clients[0]!.deliver(9, 'sites/s1/temp', '7.5');
    const stopped = feed.stop();
    await new Promise((r) => setTimeout(r, 20));
    expect(clients[0]!.ended).toBe(false);
    held[0]!.resolve();
    await stopped;
    expect(clients[0]!.pubacks).toEqual([9]);
    expect(clients[0]!.ended).toBe(true);
    expect(source.state()).toBe('stopped');
  });

  it('acknowledges refused and retained messages at once, counted by reason, and publishes nothing for them', async () => {
    const { feed, clients, held, refused } = setup();
    await feed.start();
    await tick();
    const c = clients[0]!;
    c.deliver(1, 'sites/s1/temp', '8.4 °C');
    c.deliver(2, 'trucks/7/speed', '80');
    c.deliver(3, 'sites/s1/temp', '8.4', { retain: true });
    c.deliver(4, 'sites/s1/temp', '99');
    await tick();
    expect(held).toHaveLength(0);
    expect(c.pubacks).toEqual([1, 2, 3, 4]);
    expect(await refused('not-decimal')).toBe(1);
    expect(await refused('unmapped-topic')).toBe(1);
    expect(await refused('retained-skipped')).toBe(1);
    expect(await refused('out-of-range')).toBe(1);
  });

  it('drops the session unacknowledged when a tick’s publish fails, and reconnects so the broker sends it again', async () => {
    const { feed, clients, held, source } = setup();
    await feed.start();
    await tick();
    clients[0]!.deliver(5, 'sites/s1/temp', '8.4');
    await tick();
    held[0]!.reject(new Error('item-not-found'));
    await new Promise((r) => setTimeout(r, 0));
    // A message still arriving on the closing session is neither processed nor acknowledged.
    expect(clients[0]!.deliver(6, 'sites/s1/temp', '8.5')).toBe(false);
    await tick();
    expect(clients[0]!.pubacks).toEqual([]);
    expect(clients[0]!.ended).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(clients).toHaveLength(2);
    expect(source.state()).toBe('running');
  });
});
