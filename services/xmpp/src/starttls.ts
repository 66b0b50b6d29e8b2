import net from 'node:net';
import tls from 'node:tls';
import xml from '@xmpp/xml';
import { promise } from '@xmpp/events';
import TlsSocket from '@xmpp/tls/lib/Socket.js';
import type { Client } from '@xmpp/client-core';
import type { StreamFeatures } from '@xmpp/stream-features';
import { XmppError } from './errors.js';
import { NS } from './namespaces.js';

const NS_TLS = NS.tls;

/** @xmpp/connection 0.14 takes a new socket through this method of its, which no type declares. */
interface AttachesSocket {
  _attachSocket(socket: TlsSocket): void;
}

/**
 * STARTTLS (RFC 6120 §5) that verifies the server against the desk's own CA.
 * xmpp.js's starttls accepts no trust options, so this replaces it.
 */
export function starttls({
  streamFeatures,
  ca,
}: {
  streamFeatures: StreamFeatures<Client>;
  ca: string | Buffer | undefined;
}): void {
  streamFeatures.use('starttls', NS_TLS, async ({ entity }, next) => {
    const socket = entity.socket;
    if (!(socket instanceof net.Socket) || socket instanceof tls.TLSSocket) return next() as Promise<unknown>;
    const answer = await entity.sendReceive(xml('starttls', { xmlns: NS_TLS }));
    // Lost meanwhile, the wait took the first element of the connection that replaced it.
    if (entity.socket !== socket)
      throw new XmppError('TICKDESK_XMPP_NOT_CONNECTED', 'not connected: the connection was lost during STARTTLS');
    if (!answer.is('proceed', NS_TLS)) throw new Error('STARTTLS refused by the server');
    const tlsSocket = new TlsSocket();
    // Until the connection listens to it (below), only the handshake's wait does, for one
    // 'error': a second one, or one after the wait gave up, would be thrown uncaught.
    tlsSocket.on('error', () => {});
    tlsSocket.connect({
      socket,
      servername: entity.options.domain,
      host: entity.options.domain,
      ...(ca ? { ca } : {}),
    });
    await promise(tlsSocket, 'connect');
    if (entity.socket !== socket || socket.destroyed) {
      // The plain socket closed during the handshake and the session was reported lost
      // (the client reconnects): this TLS session belongs to no connection any more.
      tlsSocket.socket?.destroy();
      throw new XmppError(
        'TICKDESK_XMPP_NOT_CONNECTED',
        'not connected: the connection was lost during the TLS handshake',
      );
    }
    (entity as Client & AttachesSocket)._attachSocket(tlsSocket);
    await entity.restart();
  });
}
