import { afterEach, describe, expect, it } from 'vitest';
import type { IPublishPacket } from 'mqtt';
import { setup, stopAll, tick } from './mqtt-fake.test-util.js';
import { createRedeliveryLedger } from './redelivery.js';

afterEach(stopAll);

/** A tick published, its PUBACK lost with the connection: the broker kept the session (resumed = true). */
async function publishedThenDropped(resumed: boolean) {
  const s = setup({}, {}, resumed);
  await s.feed.start();
  await tick();
  s.clients[0]!.deliver(5, 'sites/s1/temp', '8.4');
  await tick();
  expect(s.held).toHaveLength(1);
  s.clients[0]!.drop();
  s.held[0]!.resolve();
  await new Promise((r) => setTimeout(r, 60));
  expect(s.clients).toHaveLength(2);
  expect(s.clients[0]!.pubacks).toEqual([]);
  return s;
}

describe('MQTT feed: values the broker sends again (MQTT 5 §4.4)', () => {
  it('acknowledges a repeat of a published value without publishing it again, then publishes what is new', async () => {
    const { clients, held, repeated } = await publishedThenDropped(true);
    const c = clients[1]!;
    c.deliver(5, 'sites/s1/temp', '8.4', { dup: true });
    await tick();
    expect(c.pubacks).toEqual([5]);
    expect(held).toHaveLength(1);
    expect(await repeated()).toBe(1);
    c.deliver(6, 'sites/s1/temp', '8.5');
    await tick();
    expect(held).toHaveLength(2);
    held[1]!.resolve();
    await tick();
    expect(c.pubacks).toEqual([5, 6]);
  });

  it('acknowledges a repeat only once the reply to the first publish has come, and not if that publish failed', async () => {
    const s = setup({}, {}, true);
    await s.feed.start();
    await tick();
    s.clients[0]!.deliver(5, 'sites/s1/temp', '8.4');
    s.clients[0]!.deliver(6, 'sites/s1/temp', '8.5');
    await tick();
    s.clients[0]!.drop();
    await new Promise((r) => setTimeout(r, 60));
    const c = s.clients[1]!;
    c.deliver(5, 'sites/s1/temp', '8.4', { dup: true });
    c.deliver(6, 'sites/s1/temp', '8.5', { dup: true });
    await tick();
    expect(c.pubacks).toEqual([]);
    expect(s.held).toHaveLength(1);
    // The first publish failed after all: nothing is acknowledged, the broker sends both again.
    s.held[0]!.reject(new Error('remote-server-timeout'));
    await tick();
    expect(c.pubacks).toEqual([]);
    expect(c.ended).toBe(true);
    await new Promise((r) => setTimeout(r, 60));
    const d = s.clients[2]!;
    d.deliver(5, 'sites/s1/temp', '8.4', { dup: true });
    d.deliver(6, 'sites/s1/temp', '8.5', { dup: true });
    await tick();
    expect(s.held).toHaveLength(2);
    s.held[1]!.resolve();
    await tick();
    expect(d.pubacks).toEqual([5, 6]);
    expect(await s.repeated()).toBe(0);
  });

  it('publishes again when the broker did not keep the session, or the message differs, or it is not a repeat', async () => {
    const lost = await publishedThenDropped(false);
    lost.clients[1]!.deliver(5, 'sites/s1/temp', '8.4', { dup: true });
    await tick();
    expect(lost.held).toHaveLength(2);
    await stopAll();

    const other = await publishedThenDropped(true);
    other.clients[1]!.deliver(5, 'sites/s1/temp', '8.6', { dup: true });
    await tick();
    expect(other.held).toHaveLength(2);
    await stopAll();

    const fresh = await publishedThenDropped(true);
    fresh.clients[1]!.deliver(5, 'sites/s1/temp', '8.4');
    await tick();
    expect(fresh.held).toHaveLength(2);
    expect(await fresh.repeated()).toBe(0);
  });

  it('skips repeats only at the start of a resumed session, so ticks stay in order', async () => {
    const { clients, held, repeated } = await publishedThenDropped(true);
    const c = clients[1]!;
    // A new message first: the broker resends before anything new, so what follows is published.
    c.deliver(9, 'sites/s1/temp', '7.1');
    c.deliver(5, 'sites/s1/temp', '8.4', { dup: true });
    await tick();
    expect(held).toHaveLength(2);
    expect(held[1]!.payload).toMatch(/7\.1 .*8\.4/);
    expect(await repeated()).toBe(0);
  });

  it('takes for a repeat only one of the last messages received: an old packet identifier may name a new, equal reading', () => {
    const ledger = createRedeliveryLedger(2);
    const packet = (messageId: number, dup = false): IPublishPacket => ({
      cmd: 'publish',
      qos: 1,
      dup,
      retain: false,
      messageId,
      topic: 'sites/s1/temp',
      payload: Buffer.from('8.4'),
    });
    ledger.opened(true);
    for (const id of [1, 2]) ledger.received(packet(id)).done();
    expect(ledger.repeat(packet(1, true))).toBeInstanceOf(Promise);
    ledger.received(packet(3)).done();
    expect(ledger.repeat(packet(1, true))).toBeUndefined();
    expect(ledger.repeat(packet(2, true))).toBeInstanceOf(Promise);
    ledger.opened(false);
    expect(ledger.repeat(packet(3, true))).toBeUndefined();
  });
});
