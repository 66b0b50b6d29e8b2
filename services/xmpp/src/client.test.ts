import { describe, expect, it } from 'vitest';
import net from 'node:net';
import pino from 'pino';
import xml from '@xmpp/xml';
import { createXmppClient } from './client.js';

function offlineClient() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'warn' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const client = createXmppClient({
    service: 'xmpp://127.0.0.1:1',
    domain: 'desk.localhost',
    username: 'alerts',
    password: 'x',
    log,
    reconnect: false,
  });
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
    const stanza = xml(
      'message',
      { to: 'alice@desk.localhost', id: 'a1' },
      xml('body', {}, 'one\u0007bell'),
      xml('x', { xmlns: 'urn:x', note: '\u0000' }),
    );
    await client.send(stanza);
    expect(written).toEqual([
      '<message to="alice@desk.localhost" id="a1"><body>one\uFFFDbell</body><x xmlns="urn:x" note="\uFFFD"/></message>',
    ]);
    expect(client.replacedCharacters()).toBe(2);
    expect(lines.find((l) => l.msg === 'replaced characters XML 1.0 forbids before sending')).toMatchObject({
      replaced: 2,
      stanza: 'message',
      id: 'a1',
    });
  });

  it('covers everything sent on the connection, IQ replies included, and passes clean stanzas as they are', async () => {
    const { client, written } = offlineClient();
    await client.entity.send(
      xml('iq', { type: 'result', id: 'q1' }, xml('query', { xmlns: 'urn:q' }, 'bad\u001Btext')),
    );
    await client.send(xml('message', { id: 'ok' }, xml('body', {}, 'tab\tnewline\n🚀')));
    expect(written).toEqual([
      '<iq type="result" id="q1"><query xmlns="urn:q">bad\uFFFDtext</query></iq>',
      '<message id="ok"><body>tab\tnewline\n🚀</body></message>',
    ]);
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
    await expect(client.send(xml('message', { id: 'm1' }, xml('body', {}, 'hi')))).rejects.toMatchObject({
      code: 'TICKDESK_XMPP_NOT_CONNECTED',
    });
    await expect(
      client.iq.request(
        xml(
          'iq',
          { type: 'set', to: 'pubsub.desk.localhost' },
          xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }),
        ),
        1_000,
      ),
    ).rejects.toMatchObject({ code: 'TICKDESK_XMPP_NOT_CONNECTED' });
    await expect(client.send(xml('presence'))).rejects.toMatchObject({ code: 'TICKDESK_XMPP_NOT_CONNECTED' });
    expect(written).toEqual([]);
  });

  it('lets the negotiation through before online: STARTTLS, SASL, resource binding', async () => {
    const { client, written } = offlineClient();
    (client.entity as unknown as { status: string }).status = 'open';
    await client.entity.send(xml('starttls', { xmlns: 'urn:ietf:params:xml:ns:xmpp-tls' }));
    await client.entity.send(
      xml('iq', { type: 'set', id: 'b1' }, xml('bind', { xmlns: 'urn:ietf:params:xml:ns:xmpp-bind' })),
    );
    expect(written).toEqual([
      '<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>',
      '<iq type="set" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>',
    ]);
  });
});

/** A client on a ring of nodes whose entity a test drives: its status, connect, open and disconnect. */
function ringClient(services: string[], log: pino.Logger, negotiationTimeoutMs?: number) {
  const client = createXmppClient({
    service: services[0]!,
    services,
    domain: 'desk.localhost',
    username: 'feed',
    password: 'x',
    log,
    reconnect: { initialMs: 1, maxMs: 2 },
    negotiationTimeoutMs,
  });
  const entity = client.entity as unknown as {
    status: string;
    connect(s: string): Promise<void>;
    open(): Promise<void>;
    disconnect(): Promise<void>;
    emit(e: string, ...a: unknown[]): void;
  };
  return { client, entity };
}

describe('the client knows every node of a clustered server', () => {
  it('reconnects to the next node in turn when its node dies, with the backoff', async () => {
    const log = pino({ level: 'silent' });
    const services = ['xmpp://127.0.0.1:15222', 'xmpp://127.0.0.1:15322', 'xmpp://127.0.0.1:15422'];
    const { client, entity } = ringClient(services, log);
    const tried: string[] = [];
    entity.connect = async (s: string) => {
      tried.push(s);
      entity.status = 'disconnect';
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    };
    entity.emit('online', { toString: () => 'feed@desk.localhost/r' }); // on node 1
    entity.status = 'disconnect';
    entity.emit('disconnect', {});
    for (let i = 0; i < 200 && tried.length < 4; i++) await new Promise((r) => setTimeout(r, 5));
    await client.stop();
    expect(tried.slice(0, 4)).toEqual([services[1], services[2], services[0], services[1]]);
  });

  it('logs how long a lost session took to come back, and on which node', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = pino(
      { level: 'info' },
      { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
    );
    const services = ['xmpp://127.0.0.1:15222', 'xmpp://127.0.0.1:15322'];
    const { client, entity } = ringClient(services, log);
    entity.connect = async () => undefined;
    entity.open = async () => undefined;
    entity.emit('online', { toString: () => 'feed@desk.localhost/r' });
    entity.status = 'disconnect';
    entity.emit('disconnect', {});
    await new Promise((r) => setTimeout(r, 30));
    entity.emit('online', { toString: () => 'feed@desk.localhost/r' }); // on node 2
    await client.stop();
    const back = lines.filter((l) => l.msg === 'reconnected');
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ service: services[1], attempts: 1 });
    expect(back[0]!.downMs).toBeGreaterThanOrEqual(25);
  });

  it('starts on the next node when the first refuses', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const heard: string[] = [];
    const live = net.createServer((socket) =>
      socket.once('data', (d) => {
        heard.push(d.toString());
        socket.destroy();
      }),
    );
    await new Promise<void>((r) => live.listen(0, '127.0.0.1', r));
    const livePort = (live.address() as net.AddressInfo).port;
    const client = createXmppClient({
      service: `xmpp://127.0.0.1:${closed}`,
      services: [`xmpp://127.0.0.1:${closed}`, `xmpp://127.0.0.1:${livePort}`],
      domain: 'desk.localhost',
      username: 'feed',
      password: 'x',
      log: pino({ level: 'silent' }),
      reconnect: false,
    });
    await expect(client.start()).rejects.toBeDefined();
    await client.stop();
    live.close();
    expect(heard[0]).toMatch(/<stream:stream[^>]*to="desk.localhost"/);
  });

  it('drops a reconnected session that does not get online in time, and tries again', async () => {
    // A node that accepts the connection but never completes the negotiation (SASL or
    // binding refused or unanswered while it starts) left the client short of online for good.
    const log = pino({ level: 'silent' });
    const services = ['xmpp://127.0.0.1:15222', 'xmpp://127.0.0.1:15322'];
    const { client, entity } = ringClient(services, log, 30);
    const tried: string[] = [];
    entity.connect = async (s: string) => void tried.push(s);
    entity.open = async () => void (entity.status = 'open'); // stream open, negotiation stalls
    let dropped = 0;
    entity.disconnect = async () => {
      dropped += 1;
      entity.status = 'disconnect';
      entity.emit('disconnect', { clean: false });
    };
    entity.emit('online', { toString: () => 'feed@desk.localhost/r' });
    entity.status = 'disconnect';
    entity.emit('disconnect', {});
    for (let i = 0; i < 100 && tried.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    await client.stop();
    expect(dropped).toBeGreaterThanOrEqual(2);
    expect(tried.slice(0, 3)).toEqual([services[1], services[0], services[1]]);
  });
});
