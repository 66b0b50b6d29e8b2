import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import xml, { type Element } from '@xmpp/xml';
import { createIqCaller } from './iq-caller.js';

/** A fake connection whose server answers while the write is still pending. */
function fakeEntity(answer: (iq: { id: string; to: string }) => Element[]) {
  const entity = new EventEmitter() as EventEmitter & {
    send(el: Element): Promise<void>;
    options: { domain: string };
    jid: null;
  };
  entity.options = { domain: 'desk.localhost' };
  entity.jid = null;
  entity.send = async (el) => {
    for (const reply of answer(el.attrs as { id: string; to: string })) entity.emit('stanza', reply);
    await new Promise((r) => setTimeout(r, 5));
  };
  return entity;
}

describe('iq caller', () => {
  it('rejects with the condition when the error reply beats the write, without an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const entity = fakeEntity((iq) => [
      xml(
        'iq',
        { type: 'error', id: iq.id, from: iq.to },
        xml('error', { type: 'auth' }, xml('forbidden', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })),
      ),
    ]);
    const iq = createIqCaller(entity as never);
    await expect(iq.request(xml('iq', { type: 'set', to: 'pubsub.desk.localhost' }, xml('x')))).rejects.toMatchObject({
      condition: 'forbidden',
    });
    await new Promise((r) => setTimeout(r, 20));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  it('ignores a reply with the right id from the wrong entity', async () => {
    const entity = fakeEntity((iq) => [
      xml('iq', { type: 'result', id: iq.id, from: 'mallory@desk.localhost' }),
      xml('iq', { type: 'result', id: iq.id, from: 'pubsub.desk.localhost' }, xml('ok')),
    ]);
    const res = await createIqCaller(entity as never).request(xml('iq', { type: 'get', to: 'pubsub.desk.localhost' }));
    expect(res.attrs.from).toBe('pubsub.desk.localhost');
  });

  it('times out', async () => {
    const iq = createIqCaller(fakeEntity(() => []) as never);
    await expect(iq.request(xml('iq', { type: 'get', to: 'x' }), 30)).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
