// Minimal typings for the parts of xmpp.js 0.14 this package composes.
declare module '@xmpp/events' {
  import { EventEmitter } from 'node:events';
  export { EventEmitter };
  export function promise<T = unknown>(
    target: EventEmitter,
    event: string,
    rejectEvent?: string,
    timeout?: number,
  ): Promise<T>;
}
declare module '@xmpp/jid' {
  export class JID {
    readonly local: string;
    readonly domain: string;
    readonly resource: string;
    bare(): JID;
    toString(): string;
  }
  /** Throws a TypeError when the text has no domain. */
  export function parse(text: string): JID;
}
declare module '@xmpp/id' {
  export default function id(): string;
}
declare module '@xmpp/client-core' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';
  export interface JIDLike {
    local: string;
    domain: string;
    resource: string;
    bare(): JIDLike;
    toString(): string;
  }
  export class Client extends EventEmitter {
    constructor(options: Record<string, unknown>);
    transports: unknown[];
    jid: JIDLike | null;
    status: string;
    socket: unknown;
    options: { domain: string; service: string; lang?: string; [k: string]: unknown };
    timeout: number;
    isSecure(): boolean;
    start(): Promise<JIDLike>;
    stop(): Promise<void>;
    connect(service: string): Promise<void>;
    open(opts: { domain: string; lang?: string }): Promise<Element>;
    disconnect(timeout?: number): Promise<void>;
    restart(): Promise<void>;
    send(element: Element): Promise<void>;
    sendReceive(element: Element, timeout?: number): Promise<Element>;
    _attachSocket(socket: unknown): void;
    _status(status: string, ...args: unknown[]): void;
  }
}
declare module '@xmpp/middleware' {
  export default function middleware(opts: { entity: unknown }): unknown;
}
declare module '@xmpp/middleware/lib/StanzaError.js' {
  import type { Element } from '@xmpp/xml';
  export default class StanzaError extends Error {
    condition: string;
    text?: string;
    application?: Element;
    type?: string;
    element?: Element;
  }
}
declare module '@xmpp/stream-features' {
  export interface StreamFeatures {
    use(
      name: string,
      ns: string,
      handler: (
        ctx: { entity: import('@xmpp/client-core').Client },
        next: () => unknown,
        element: import('@xmpp/xml').Element,
      ) => unknown,
    ): void;
  }
  export default function streamFeatures(opts: { middleware: unknown }): StreamFeatures;
}
declare module '@xmpp/iq/callee.js' {
  import type { Element } from '@xmpp/xml';
  /** `element` is the query child; `next` passes the request on to the next handler. */
  export type IQHandler = (ctx: { stanza: Element; element: Element }, next: () => unknown) => unknown;
  export interface IQCallee {
    get(ns: string, name: string, handler: IQHandler): void;
    set(ns: string, name: string, handler: IQHandler): void;
  }
  export default function iqCallee(opts: { middleware: unknown; entity: unknown }): IQCallee;
}
declare module '@xmpp/websocket' {
  export default function websocket(opts: { entity: unknown }): void;
}
declare module '@xmpp/tcp' {
  export default function tcp(opts: { entity: unknown }): void;
}
declare module '@xmpp/resource-binding' {
  export default function resourceBinding(
    opts: { streamFeatures: unknown; iqCaller: unknown },
    resource?: string,
  ): void;
}
declare module '@xmpp/tls/lib/Socket.js' {
  import type { EventEmitter } from 'node:events';
  export default class TlsSocket extends EventEmitter {
    socket: import('node:tls').TLSSocket | null;
    connect(options: import('node:tls').ConnectionOptions): void;
  }
}
declare module 'saslmechanisms' {
  export default class SASLFactory {
    use(name: string | unknown, mech?: unknown): void;
  }
}
