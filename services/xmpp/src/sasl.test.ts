import { EventEmitter } from 'node:events';
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { createSaslFactory, sasl } from './sasl.js';
import { ScramSha1 } from './scram-sha-1.js';

const NS = 'urn:ietf:params:xml:ns:xmpp-sasl';
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Plays the server side of RFC 5802 §5 and ends with the given <success/> data. */
function negotiate(successData: string) {
  const events = new EventEmitter();
  const entity = Object.assign(events, {
    sent: [] as Element[],
    restarted: false,
    async send(el: Element) {
      this.sent.push(el);
      const reply =
        el.name === 'auth'
          ? xml(
              'challenge',
              { xmlns: NS },
              b64('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'),
            )
          : xml('success', { xmlns: NS }, b64(successData));
      setImmediate(() => events.emit('nonza', reply));
    },
    async restart() {
      this.restarted = true;
    },
  });
  let feature: ((ctx: { entity: typeof entity }, next: unknown, el: Element) => Promise<void>) | undefined;
  const factory = createSaslFactory({
    'SCRAM-SHA-1': class extends ScramSha1 {
      constructor() {
        super({ cnonce: 'fyko+d2lbbFgONRv9qkxdawL' });
      }
    },
  });
  sasl(
    {
      streamFeatures: { use: (_n: string, _ns: string, h: unknown) => void (feature = h as never) },
      saslFactory: factory,
    },
    (authenticate) => authenticate({ username: 'user', password: 'pencil' }, 'SCRAM-SHA-1'),
  );
  const features = xml('mechanisms', { xmlns: NS }, xml('mechanism', {}, 'SCRAM-SHA-1'));
  return { entity, done: feature!({ entity }, undefined, features) };
}

describe('sasl', () => {
  it('completes when the server proves it knows the password (RFC 5802 §5)', async () => {
    const { entity, done } = negotiate('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=');
    await done;
    expect(entity.sent.map((e) => e.name)).toEqual(['auth', 'response']);
    expect(entity.restarted).toBe(true);
  });

  it('refuses a server whose signature does not match, and does not restart the stream', async () => {
    const { entity, done } = negotiate('v=AAAApqV8S7suAoZWja4dJRkFsKQ=');
    await expect(done).rejects.toMatchObject({ name: 'SASLError', condition: 'not-authorized' });
    expect(entity.restarted).toBe(false);
  });

  it('ends when the connection is lost mid-exchange, and leaves nothing listening for the next connection', async () => {
    const entity = Object.assign(new EventEmitter(), {
      sent: [] as Element[],
      async send(el: Element) {
        this.sent.push(el);
      },
      async restart() {},
    });
    let feature: ((ctx: { entity: typeof entity }, next: unknown, el: Element) => Promise<void>) | undefined;
    const factory = createSaslFactory({ 'SCRAM-SHA-1': ScramSha1 });
    sasl(
      {
        streamFeatures: { use: (_n: string, _ns: string, h: unknown) => void (feature = h as never) },
        saslFactory: factory,
      },
      (authenticate) => authenticate({ username: 'user', password: 'pencil' }, 'SCRAM-SHA-1'),
    );
    const done = feature!({ entity }, undefined, xml('mechanisms', { xmlns: NS }, xml('mechanism', {}, 'SCRAM-SHA-1')));
    await new Promise((r) => setImmediate(r));
    entity.emit('disconnect', { clean: false });
    await expect(
      Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error('still waiting')), 500))]),
    ).rejects.toMatchObject({ code: 'TICKDESK_XMPP_NOT_CONNECTED' });
    expect(entity.listenerCount('nonza')).toBe(0);
  });
});
