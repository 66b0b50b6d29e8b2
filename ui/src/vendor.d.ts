// Minimal typings for the xmpp.js 0.14 parts the dashboard composes (they ship none).
declare module '@xmpp/client-core' {
  export class Client {
    constructor(options: { service: string; domain: string });
    jid: { toString(): string } | null;
    status: string;
    on(event: string, handler: (...args: any[]) => void): this;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(element: import('@xmpp/xml').Element): Promise<void>;
  }
}
declare module '@xmpp/websocket' {
  export default function websocket(opts: { entity: unknown }): void;
}
declare module '@xmpp/middleware' {
  export default function middleware(opts: { entity: unknown }): unknown;
}
declare module '@xmpp/stream-features' {
  export default function streamFeatures(opts: { middleware: unknown }): unknown;
}
declare module '@xmpp/iq/callee.js' {
  export default function iqCallee(opts: { middleware: unknown; entity: unknown }): {
    get(ns: string, name: string, handler: (...args: any[]) => unknown): void;
    set(ns: string, name: string, handler: (...args: any[]) => unknown): void;
  };
}
declare module '@xmpp/resource-binding' {
  export default function resourceBinding(opts: { streamFeatures: unknown; iqCaller: unknown }, resource?: string): void;
}
declare module '@xmpp/sasl-scram-sha-1' {
  export default function saslScramSha1(factory: { use(mech: any): void }): void;
}
declare module 'saslmechanisms' {
  export default class SASLFactory {
    use(mech: unknown): this;
  }
}
declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component<any>;
  export default component;
}
