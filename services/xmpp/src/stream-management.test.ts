import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import xml, { type Element } from '@xmpp/xml';
import { NS_SM, streamManagement } from './stream-management.js';

/** A fake connection: records what is sent, replays what the server says. */
function fakeEntity() {
  const entity = new EventEmitter() as EventEmitter & { send(el: Element): Promise<void>; sent: Element[] };
  entity.sent = [];
  entity.send = async (el: Element) => {
    entity.sent.push(el);
    entity.emit('send', el);
  };
  let feature: ((ctx: unknown, next: () => Promise<void>) => Promise<void>) | undefined;
  const streamFeatures = { use: (_n: string, _ns: string, h: typeof feature) => (feature = h) };
  return { entity, streamFeatures, enable: () => feature!({}, async () => {}) };
}
const server = (e: EventEmitter, el: Element) =>
  e.emit(['iq', 'message', 'presence'].includes(el.name) ? 'stanza' : 'nonza', el);

describe('stream management', () => {
  it("counts every inbound stanza since <enabled/> and answers <r/> with that 'h'", async () => {
    const { entity, streamFeatures, enable } = fakeEntity();
    streamManagement({ entity: entity as never, streamFeatures: streamFeatures as never });
    server(entity, xml('message')); // before enable: not counted
    await enable();
    expect(entity.sent[0]?.is('enable', NS_SM)).toBe(true);
    server(entity, xml('enabled', { xmlns: NS_SM }));
    for (let i = 0; i < 5; i++) server(entity, xml(i % 2 ? 'iq' : 'message'));
    server(entity, xml('r', { xmlns: NS_SM }));
    await Promise.resolve();
    expect(entity.sent.at(-1)?.toString()).toBe(`<a xmlns="${NS_SM}" h="5"/>`);
  });

  it('with enable: false, never sends <enable/> and tracks nothing', async () => {
    const { entity, streamFeatures } = fakeEntity();
    let offered = false;
    const features = {
      use: (...args: Parameters<typeof streamFeatures.use>) => {
        offered = true;
        streamFeatures.use(...args);
      },
    };
    const sm = streamManagement({ entity: entity as never, streamFeatures: features as never, enable: false });
    expect(offered).toBe(false);
    await entity.send(xml('message'));
    expect(sm.enabled).toBe(false);
    expect(sm.unacked).toBe(0);
    expect(entity.sent.some((el) => el.is('enable', NS_SM))).toBe(false);
  });

  it('reports each sent stanza acknowledged by the server, in order, and fails the rest on disconnect', async () => {
    const { entity, streamFeatures, enable } = fakeEntity();
    const sm = streamManagement({
      entity: entity as never,
      streamFeatures: streamFeatures as never,
      requestAckDelayMs: 10_000,
    });
    await enable();
    server(entity, xml('enabled', { xmlns: NS_SM }));
    const acked: string[] = [];
    const failed: string[] = [];
    sm.on('ack', (s) => acked.push(s.attrs.id as string));
    sm.on('fail', (s) => failed.push(s.attrs.id as string));
    for (const id of ['a', 'b', 'c']) await entity.send(xml('message', { id }));
    server(entity, xml('a', { xmlns: NS_SM, h: '2' }));
    expect(acked).toEqual(['a', 'b']);
    server(entity, xml('a', { xmlns: NS_SM, h: '1' })); // going backwards changes nothing
    expect(sm.unacked).toBe(1);
    entity.emit('disconnect');
    expect(failed).toEqual(['c']);
  });
});

describe('stream management across a disconnect', () => {
  it('asks for an ack again after a disconnect that came while a request was scheduled', async () => {
    const { entity, streamFeatures, enable } = fakeEntity();
    const sm = streamManagement({
      entity: entity as never,
      streamFeatures: streamFeatures as never,
      requestAckDelayMs: 5,
    });
    const acked: string[] = [];
    sm.on('ack', (s) => acked.push(s.attrs.id as string));
    await enable();
    server(entity, xml('enabled', { xmlns: NS_SM }));
    await entity.send(xml('message', { id: 'early' })); // arms the <r/> timer
    entity.emit('disconnect'); // before it fires
    entity.sent.length = 0;
    await enable();
    server(entity, xml('enabled', { xmlns: NS_SM }));
    await entity.send(xml('message', { id: 'after' }));
    await new Promise((r) => setTimeout(r, 30));
    expect(entity.sent.map((el) => el.name)).toContain('r');
    server(entity, xml('a', { xmlns: NS_SM, h: '1' }));
    expect(acked).toEqual(['after']);
    expect(sm.unacked).toBe(0);
  });
});

describe('stream management and stanzas written before <enable/>', () => {
  it("counts a stanza by when it was handed to the socket, not by when its write finished (xmpp.js emits 'send' after the write)", async () => {
    const { entity, streamFeatures, enable } = fakeEntity();
    // As @xmpp/connection: the element is written at once, 'send' is emitted once the socket's write callback ran.
    entity.send = async (el: Element) => {
      entity.sent.push(el);
      await new Promise((r) => setImmediate(r));
      entity.emit('send', el);
    };
    const sm = streamManagement({
      entity: entity as never,
      streamFeatures: streamFeatures as never,
      requestAckDelayMs: 10_000,
    });
    const acked: string[] = [];
    sm.on('ack', (s) => acked.push(s.attrs.id as string));
    // Resource binding emits 'online' before <enable/>: what its handlers send goes first on the wire.
    const presence = entity.send(xml('presence', { id: 'online-presence' }));
    await enable();
    await presence;
    expect(entity.sent.map((el) => el.name)).toEqual(['presence', 'enable']);
    server(entity, xml('enabled', { xmlns: NS_SM }));
    await entity.send(xml('message', { id: 'alert' }));
    server(entity, xml('a', { xmlns: NS_SM, h: '1' })); // the server counted only the message (§4)
    expect(acked).toEqual(['alert']);
    expect(sm.unacked).toBe(0);
  });
});
