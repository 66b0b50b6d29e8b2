import type { Logger } from 'pino';
import type { Client } from '@xmpp/client-core';
import { XmppError } from './errors.js';

interface Emitter {
  on(event: string, listener: (...args: never[]) => void): unknown;
}
interface ConnectionInternals {
  socket: Emitter | null;
  parser: (Emitter & { write(s: string): void }) | null;
  _onData(data: Buffer | string): void;
  _attachSocket(socket: Emitter): void;
  _detachSocket(): void;
  _detachParser(): void;
  _closeStream(): Promise<unknown>;
  _closeSocket(): Promise<void>;
  _status(status: string, ...args: unknown[]): void;
  disconnect(): Promise<unknown>;
  open(options: { domain: string; lang?: string }): Promise<unknown>;
}

/**
 * @xmpp/connection 0.14 lets go of its parser when the stream ends (the server's
 * </stream:stream>, an XML error, disconnect() giving up on the server's answer) and of its
 * socket on the socket's 'close' (or when disconnect() gives up waiting for it). Events
 * that arrived in between reached code that assumed the other half was still there, and
 * a throw in a socket or parser event handler is an uncaught exception: the process ends.
 * A feed crashed so ("Cannot read properties of null (reading 'write')" in `_onData`)
 * when every node of its ejabberd cluster was killed. These instance overrides close
 * each gap; they must be in place before the first socket is attached, because the
 * connection binds `_onData` once, on its first `_attachSocket`.
 */
export function guardConnection(entity: Client, log: Logger): void {
  const c = entity as unknown as ConnectionInternals;
  const attachSocket = c._attachSocket.bind(c);
  const detachSocket = c._detachSocket.bind(c);
  const detachParser = c._detachParser.bind(c);
  const sunk = new WeakSet<object>();
  const sink = (target: Emitter, what: string) => {
    if (sunk.has(target)) return;
    sunk.add(target);
    target.on('error', (err: Error) =>
      log.debug({ err, from: what }, 'error from a released XMPP socket or parser ignored'),
    );
  };

  c._onData = (data) => {
    const parser = c.parser;
    if (!parser) {
      // RFC 6120 §4.4: once the stream is closed nothing more on it is processed; the
      // socket is only waiting for its close.
      log.debug({ bytes: data.length }, 'bytes after the end of the XML stream dropped');
      return;
    }
    try {
      parser.write(typeof data === 'string' ? data : data.toString('utf8'));
    } catch (err) {
      // A throw inside the parser (a listener of an element, an entity the unescaper
      // refuses) leaves the rest of the chunk unread: the stream can no longer be followed.
      // It is closed, and the client reconnects as after any lost session.
      log.error({ err }, 'reading the XML stream failed: closing it');
      c.disconnect().catch(() => {});
    }
  };

  // disconnect() closes the stream, then the socket, each with a timeout whose fallback
  // lets go of `this.parser`, then `this.socket`: whatever they are by then. After a stream
  // error from a server that died before its </stream:stream> (RFC 6120 §4.9.1.1), the
  // socket's close reports the session lost, the client reconnects, and the left-over
  // wait timed out on the NEW connection: its parser and socket were let go of, and its
  // next bytes met a null parser. The same steps, each fallback limited to the
  // connection it started on.
  c.disconnect = async () => {
    const socket = c.socket;
    const parser = c.parser;
    let el: unknown;
    try {
      el = await c._closeStream();
    } catch (err) {
      if (c.parser === parser && parser) c._detachParser();
      if (c.socket === socket) c._status('close', { clean: false, reason: err });
    }
    if (!socket || c.socket !== socket) {
      // Closed already, and maybe replaced by a reconnect: nothing of ours is left to close.
      if (!c.socket) c._status('disconnect', { clean: false });
      return el;
    }
    try {
      await c._closeSocket();
    } catch (err) {
      if (c.socket === socket) {
        c._detachSocket();
        c._status('disconnect', { clean: false, reason: err });
      }
    }
    return el;
  };

  // A negotiation step of a connection that was lost meanwhile (SASL's <success/> or the
  // TLS handshake finishing in the same turn as the socket's close) restarted the stream
  // on no socket: open() set the status to 'opening' before its write failed, and the
  // reconnect, which acts on 'disconnect' only, never came. No socket, no stream.
  const open = c.open.bind(c);
  c.open = async (options) => {
    if (!c.socket)
      throw new XmppError(
        'TICKDESK_XMPP_NOT_CONNECTED',
        'not connected: the connection was lost during stream negotiation',
      );
    return open(options);
  };

  c._attachSocket = (socket) => {
    // STARTTLS (RFC 6120 §5.4.3.3, starttls.ts) puts the TLS socket over the plain one
    // without letting go of the plain one. Node closes the plain socket just before the
    // TLS one, and its 'close' detached whichever socket was current then and reported
    // the session lost. Only the current socket speaks for the connection.
    if (c.socket && c.socket !== socket) c._detachSocket();
    attachSocket(socket);
  };

  c._detachSocket = () => {
    const socket = c.socket;
    detachSocket();
    // Not listened to any more, but maybe not closed (disconnect() gave up waiting, or
    // STARTTLS wraps it): an 'error' it emits later, with no listener, would be thrown.
    if (socket) sink(socket, 'socket');
  };

  c._detachParser = () => {
    const parser = c.parser;
    detachParser();
    // Detached in the middle of the chunk that ended the stream, the parser still reads
    // the rest of it: a second XML error there would be an 'error' nobody listens to.
    if (parser) sink(parser, 'parser');
  };
}
