import { describe, expect, it } from 'vitest';
import pino from 'pino';
import xml from '@xmpp/xml';
import { createXmppClient } from './client.js';

function offlineClient() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const client = createXmppClient({ service: 'xmpp://127.0.0.1:1', domain: 'desk.localhost', username: 'alerts', password: 'x', log, reconnect: false });
  const written: string[] = [];
  const entity = client.entity as unknown as { Transport: unknown; transports: unknown[] };
  entity.Transport = entity.transports[0]; // as connect() would choose it
  (client.entity as unknown as { status: string }).status = 'online'; // as after resource binding
  // The socket write, the last step before the wire.
  (client.entity as unknown as { write(s: string): Promise<void> }).write = async (s: string) => void written.push(s);
  return { client, written, lines };
}

describe('the client never writes a character XML 1.0 forbids', () => {
  it('replaces it with U+FFFD in text and attributes, counts it and logs it', async () => {
    const { client, written, lines } = offlineClient();
    const stanza = xml('message', { to: 'alice@desk.localhost', id: 'a1' }, xml('body', {}, 'one\u0007bell'), xml('x', { xmlns: 'urn:x', note: '\u0000' }));
    await client.send(stanza);
    expect(written).toEqual(['<message to="alice@desk.localhost" id="a1"><body>one\uFFFDbell</body><x xmlns="urn:x" note="\uFFFD"/></message>']);
    expect(client.replacedCharacters()).toBe(2);
    expect(lines.find((l) => l.msg === 'replaced characters XML 1.0 forbids before sending')).toMatchObject({ replaced: 2, stanza: 'message', id: 'a1' });
  });

  it('covers everything sent on the connection, IQ replies included, and passes clean stanzas as they are', async () => {
    const { client, written } = offlineClient();
    await client.entity.send(xml('iq', { type: 'result', id: 'q1' }, xml('query', { xmlns: 'urn:q' }, 'bad\u001Btext')));
    await client.send(xml('message', { id: 'ok' }, xml('body', {}, 'tab\tnewline\n🚀')));
    expect(written).toEqual(['<iq type="result" id="q1"><query xmlns="urn:q">bad\uFFFDtext</query></iq>', '<message id="ok"><body>tab\tnewline\n🚀</body></message>']);
    expect(client.replacedCharacters()).toBe(1);
  });
});

describe('the client writes stanzas only on an authenticated stream', () => {
  // RFC 6120 §6.4.2 / §13.8: before TLS and SASL a client sends only negotiation elements.
  // ejabberd closes such a stream with <policy-violation/>; a feed publishing while it
  // reconnected then never got back online.
  it('refuses a message, presence or IQ before the session is online, and writes nothing', async () => {
    const { client, written } = offlineClient();
    (client.entity as unknown as { status: string }).status = 'open'; // connected, STARTTLS not done
    await expect(client.send(xml('message', { id: 'm1' }, xml('body', {}, 'hi')))).rejects.toMatchObject({ code: 'TICKDESK_XMPP_NOT_CONNECTED' });
    await expect(client.iq.request(xml('iq', { type: 'set', to: 'pubsub.desk.localhost' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' })), 1_000)).rejects.toMatchObject({ code: 'TICKDESK_XMPP_NOT_CONNECTED' });
    await expect(client.send(xml('presence'))).rejects.toMatchObject({ code: 'TICKDESK_XMPP_NOT_CONNECTED' });
    expect(written).toEqual([]);
  });

  it('lets the negotiation through before online: STARTTLS, SASL, resource binding', async () => {
    const { client, written } = offlineClient();
    (client.entity as unknown as { status: string }).status = 'open';
    await client.entity.send(xml('starttls', { xmlns: 'urn:ietf:params:xml:ns:xmpp-tls' }));
    await client.entity.send(xml('iq', { type: 'set', id: 'b1' }, xml('bind', { xmlns: 'urn:ietf:params:xml:ns:xmpp-bind' })));
    expect(written).toEqual(['<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>', '<iq type="set" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>']);
  });
});
