import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { createXmppClient } from './client.js';

// @xmpp/connection 0.14 feeds every socket 'data' event to `this.parser.write()`, lets go of
// the parser when the stream ends (parser 'end', an XML error, disconnect() giving up) and of
// the socket only on its 'close'. Bytes, errors or a close that arrive in between reached
// code that assumed the other half was still there: a feed crashed with "Cannot read
// properties of null (reading 'write')" when its ejabberd node died. These drive the
// connection through a fake socket, as the TCP and TLS sockets would.

class FakeSocket extends EventEmitter {
  secure = false;
  written: string[] = [];
  ended = false;
  write(data: string, cb?: (err?: Error) => void): void {
    this.written.push(data);
    cb?.();
  }
  end(): void {
    this.ended = true;
  }
}

interface Entity {
  status: string;
  socket: unknown;
  parser: unknown;
  timeout: number;
  transports: unknown[];
  Transport: { prototype: { Parser: unknown } };
  Parser: unknown;
  _attachSocket(s: unknown): void;
  open(o: { domain: string }): Promise<unknown>;
  restart(): Promise<unknown>;
  disconnect(): Promise<unknown>;
  on(e: string, f: (...a: unknown[]) => void): void;
}

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='desk.localhost' version='1.0'>";

function setup() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'debug' },
    { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
  );
  const client = createXmppClient({
    service: 'xmpp://127.0.0.1:1',
    domain: 'desk.localhost',
    username: 'feed',
    password: 'x',
    log,
    reconnect: false,
  });
  const entity = client.entity as unknown as Entity;
  entity.Transport = entity.transports[0] as Entity['Transport']; // as connect() would choose it
  entity.Parser = entity.Transport.prototype.Parser;
  const errors: unknown[] = [];
  entity.on('error', (e) => errors.push(e));
  return { client, entity, lines, errors };
}

/** A socket attached and a stream opened on it, as after connect() and open(). */
async function openStream(entity: Entity, socket = new FakeSocket()) {
  entity._attachSocket(socket);
  const opened = entity.open({ domain: 'desk.localhost' });
  await new Promise((r) => setImmediate(r)); // open() listens for the answer once its header is written
  socket.emit('data', Buffer.from(HEADER));
  await opened;
  return socket;
}

describe('the connection survives events after it let go of its socket or parser', () => {
  it('drops bytes that arrive after the server closed the stream, instead of throwing', async () => {
    const { entity, lines } = setup();
    const socket = await openStream(entity);
    socket.emit('data', Buffer.from('</stream:stream>'));
    expect(entity.parser).toBeNull(); // the stream is over; the socket is not closed yet
    expect(() => socket.emit('data', Buffer.from("<iq type='result' id='p1'/>"))).not.toThrow();
    expect(lines.find((l) => l.msg === 'bytes after the end of the XML stream dropped')).toMatchObject({ bytes: 27 });
  });

  it('drops bytes after an XML error closed the stream, and a second error in the same chunk', async () => {
    const { entity, errors } = setup();
    const socket = await openStream(entity);
    // RFC 6120 §4.9.3.1: the first error ends the stream; the parser still reads the rest of the chunk.
    expect(() => socket.emit('data', Buffer.from('<a></b><c></d>'))).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(() => socket.emit('data', Buffer.from('<message/>'))).not.toThrow();
  });

  it('after STARTTLS, the close or error of the plain socket it replaced leaves the TLS session alone', async () => {
    const { entity } = setup();
    const plain = await openStream(entity);
    const secure = new FakeSocket();
    secure.secure = true;
    entity._attachSocket(secure); // as starttls.ts does once the handshake is done
    const restarted = entity.restart();
    await new Promise((r) => setImmediate(r));
    secure.emit('data', Buffer.from(HEADER));
    await restarted;
    plain.emit('close', false);
    expect(entity.socket).toBe(secure);
    expect(entity.status).toBe('open');
    expect(() =>
      plain.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })),
    ).not.toThrow();
    secure.emit('close', true); // the TLS socket's own close is the one that counts
    expect(entity.status).toBe('disconnect');
  });

  it('a socket given up on before it closed can still report an error without crashing the process', async () => {
    const { entity } = setup();
    entity.timeout = 20;
    const socket = await openStream(entity);
    await entity.disconnect(); // the server answers neither </stream:stream> nor the FIN
    expect(entity.socket).toBeNull();
    expect(() =>
      socket.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })),
    ).not.toThrow();
    expect(() => socket.emit('data', Buffer.from('<iq/>'))).not.toThrow();
  });

  it('an application stanza handler that throws is logged with its stack, and the stream goes on', async () => {
    const { client, entity, lines } = setup();
    const socket = await openStream(entity);
    const seen: string[] = [];
    client.on('stanza', (el) => {
      seen.push(el.attrs.id as string);
      if (el.attrs.id === 'bad') throw new Error('handler bug');
    });
    expect(() => socket.emit('data', Buffer.from("<message id='bad'/><message id='next'/>"))).not.toThrow();
    expect(seen).toEqual(['bad', 'next']);
    const logged = lines.find((l) => l.msg === 'a stanza handler threw');
    expect((logged?.err as { stack?: string } | undefined)?.stack).toMatch(/handler bug\n\s+at /);
  });

  it('a disconnect() left over from a dead connection does not tear down the next one', async () => {
    // The server sends a stream error and dies before its </stream:stream> (a node stopped,
    // then killed): disconnect() waits for that close tag, the socket's close reports the
    // session lost and the client reconnects. When the wait timed out, its fallback let go
    // of the parser and then the socket of the NEW connection, whose next bytes then hit a
    // null parser: "Cannot read properties of null (reading 'write')".
    const { client, entity } = setup();
    entity.timeout = 30;
    const dead = await openStream(entity);
    dead.emit(
      'data',
      Buffer.from("<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"),
    );
    dead.emit('close', true);
    expect(entity.status).toBe('disconnect');
    const next = await openStream(entity); // as the reconnect does: connect(), then open()
    const parser = entity.parser;
    const seen: string[] = [];
    client.on('stanza', (el) => void seen.push(el.attrs.id as string));
    // Past the left-over wait for </stream:stream> (30 ms), within its wait for the close (30 more).
    await new Promise((r) => setTimeout(r, 45));
    expect(() => next.emit('data', Buffer.from("<message id='after'/>"))).not.toThrow();
    expect(seen).toEqual(['after']);
    await new Promise((r) => setTimeout(r, 60));
    expect(entity.parser).toBe(parser);
    expect(entity.socket).toBe(next);
    expect(next.ended).toBe(false);
    expect(entity.status).toBe('open');
  });

  it('stop() still closes the stream, then the socket, of a live connection', async () => {
    const { entity } = setup();
    const socket = await openStream(entity);
    const stopped = (entity as unknown as { stop(): Promise<unknown> }).stop();
    await new Promise((r) => setImmediate(r));
    expect(socket.written.at(-1)).toBe('</stream:stream>');
    socket.emit('data', Buffer.from('</stream:stream>'));
    await new Promise((r) => setImmediate(r));
    expect(socket.ended).toBe(true);
    socket.emit('close', false);
    await stopped;
    expect(entity.status).toBe('offline');
    expect(entity.socket).toBeNull();
    expect(entity.parser).toBeNull();
  });

  it('a negotiation step left over from a lost connection does not take the status back from disconnect', async () => {
    // SASL's <success/> or the TLS handshake completes in the same turn as the socket's
    // close: restart() then wrote the new stream header to no socket, and set the status to
    // 'opening', where the reconnect timer (which only acts on 'disconnect') left it: the
    // client never came back.
    const { entity } = setup();
    const socket = await openStream(entity);
    socket.emit('close', true);
    expect(entity.status).toBe('disconnect');
    await expect(entity.restart()).rejects.toMatchObject({ code: 'TICKDESK_XMPP_NOT_CONNECTED' });
    expect(entity.status).toBe('disconnect');
  });
});
