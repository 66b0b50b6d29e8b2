// Typings for the xmpp.js 0.14 parts this package composes that have no @types package on
// DefinitelyTyped (the others come from @types/xmpp__*: client-core, events, iq, jid, middleware,
// resource-binding, stream-features, xml; and @types/saslmechanisms).

// No @types/xmpp__id.
declare module '@xmpp/id' {
  export default function id(): string;
}
// No @types/xmpp__websocket.
declare module '@xmpp/websocket' {
  import type { Entity } from '@xmpp/middleware';
  export default function websocket(opts: { entity: Entity }): void;
}
// No @types/xmpp__tcp.
declare module '@xmpp/tcp' {
  import type { Entity } from '@xmpp/middleware';
  export default function tcp(opts: { entity: Entity }): void;
}
// No @types/xmpp__tls; starttls.ts wraps the plain socket in this class of its (RFC 6120 §5.4.3.3).
declare module '@xmpp/tls/lib/Socket.js' {
  import type { EventEmitter } from 'node:events';
  export default class TlsSocket extends EventEmitter {
    socket: import('node:tls').TLSSocket | null;
    connect(options: import('node:tls').ConnectionOptions): void;
  }
}
