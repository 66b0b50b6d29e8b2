import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Logger } from 'pino';
import type { Client } from '@xmpp/client-core';
import tcp from '@xmpp/tcp';
import type { Element } from '@xmpp/xml';
import { composeClient, type IQCallee } from './compose.js';
import { guardConnection } from './connection-guard.js';
import type { IQCaller } from './iq-caller.js';
import { createNodeRing } from './node-ring.js';
import { createReconnect, DEFAULT_NEGOTIATION_TIMEOUT_MS, DEFAULT_RECONNECT } from './reconnect.js';
import { guardSend } from './send-guard.js';
import { describeStartError, startOnSomeNode } from './session-start.js';
import { starttls } from './starttls.js';
import type { StreamManagement } from './stream-management.js';

export { DEFAULT_NEGOTIATION_TIMEOUT_MS, DEFAULT_RECONNECT } from './reconnect.js';

export interface XmppClientOptions {
  /** `xmpp://127.0.0.1:5222` (STARTTLS). */
  service: string;
  /**
   * Every node of a clustered server (`service` among them, or first otherwise): the
   * client starts on `service`, or the next node that accepts, and after a disconnect
   * tries the nodes after the one it was on, in turn, with the backoff. TLS verifies
   * `domain` on each.
   */
  services?: readonly string[];
  domain: string;
  username: string;
  password: string;
  resource?: string;
  /** PEM of the CA that signed the server certificate; the system store when absent. */
  ca?: string | Buffer;
  log: Logger;
  reconnect?: { initialMs: number; maxMs: number } | false;
  /** XEP-0198 when the server offers it (default true); see StreamManagementOptions.enable. */
  streamManagement?: boolean;
  /**
   * A reconnected session not online this long after its stream opened is dropped and the
   * next node tried (default DEFAULT_NEGOTIATION_TIMEOUT_MS).
   */
  negotiationTimeoutMs?: number;
}

export type ConnectionState = 'starting' | 'running' | 'degraded' | 'stopped';

export interface XmppClient extends EventEmitter<{
  online: [jid: string];
  offline: [];
  reconnecting: [info: { attempt: number; delayMs: number }];
  stanza: [stanza: Element];
  state: [state: ConnectionState];
}> {
  readonly entity: Client;
  readonly iq: IQCaller;
  readonly iqCallee: IQCallee;
  readonly streamManagement: StreamManagement;
  /** Full JID once online. */
  jid(): string | undefined;
  bareJid(): string;
  state(): ConnectionState;
  /** Connects, authenticates (SCRAM) and binds; rejects with an XmppError that says why. */
  start(): Promise<string>;
  stop(): Promise<void>;
  send(stanza: Element): Promise<void>;
  /** Characters XML 1.0 forbids that were replaced by U+FFFD before sending, since start. */
  replacedCharacters(): number;
}

/**
 * The services' XMPP client: the one composition (compose.ts) over TCP + STARTTLS verified
 * against the desk CA, with stream management (XEP-0198), Nagle off, a node ring and
 * reconnection with exponential backoff and jitter.
 */
export function createXmppClient(opts: XmppClientOptions): XmppClient {
  const who = `${opts.username}@${opts.domain}`;
  const log = opts.log.child({ component: 'xmpp', jid: who });
  const ring = createNodeRing(opts.service, opts.services);
  let replacedCharacters = () => 0;
  const {
    entity,
    iq,
    iqCallee,
    streamManagement: sm,
  } = composeClient({
    service: opts.service,
    domain: opts.domain,
    resource: opts.resource,
    credentials: () => ({ username: opts.username, password: opts.password }),
    streamManagement: { enable: opts.streamManagement ?? true },
    prepare(entity) {
      guardConnection(entity, log);
      replacedCharacters = guardSend({ entity, log });
    },
    transport({ entity, streamFeatures }) {
      tcp({ entity });
      starttls({ streamFeatures, ca: opts.ca });
    },
  });

  const emitter = new EventEmitter() as XmppClient;
  let state: ConnectionState = 'stopped';
  let stopping = false;
  const setState = (s: ConnectionState) => {
    if (s !== state) {
      state = s;
      emitter.emit('state', s);
    }
  };
  // Built before the 'online' handler below, so 'reconnected' is logged before 'online' is emitted.
  const reconnect = createReconnect({
    entity,
    ring,
    domain: opts.domain,
    log,
    delays: opts.reconnect || DEFAULT_RECONNECT,
    negotiationTimeoutMs: opts.negotiationTimeoutMs ?? DEFAULT_NEGOTIATION_TIMEOUT_MS,
    stopping: () => stopping,
    onAttempt: (info) => emitter.emit('reconnecting', info),
  });

  entity.on('connect', () => {
    if (entity.socket instanceof net.Socket) entity.socket.setNoDelay(true);
  });
  entity.on('stanza', (el: Element) => {
    // Handlers run inside the socket's 'data' event: a throw would end the process, and
    // would leave the rest of the chunk unread. One bad stanza costs only its handling.
    try {
      emitter.emit('stanza', el);
    } catch (err) {
      log.error({ err, stanza: el.name, id: el.attrs.id, from: el.attrs.from }, 'a stanza handler threw');
    }
  });
  // While stopping, a write racing the close ("Connection is closing") is expected, not news.
  entity.on('error', (err: Error) => (stopping ? log.debug : log.warn).call(log, { err }, 'xmpp connection error'));
  entity.on('online', (jid: { toString(): string }) => {
    setState('running');
    emitter.emit('online', jid.toString());
  });
  entity.on('disconnect', () => {
    if (stopping || opts.reconnect === false || state === 'starting') return;
    setState('degraded');
    emitter.emit('offline');
    reconnect.lost();
  });

  return Object.assign(emitter, {
    entity,
    iq,
    iqCallee,
    streamManagement: sm!,
    jid: () => entity.jid?.toString(),
    bareJid: () => who,
    state: () => state,
    async start() {
      stopping = false;
      setState('starting');
      try {
        const jid = await startOnSomeNode({ entity, ring, domain: opts.domain, log });
        return jid.toString();
      } catch (err) {
        setState('stopped');
        await entity.stop().catch(() => {});
        throw describeStartError(err, { who, service: opts.service });
      }
    },
    async stop() {
      stopping = true;
      reconnect.stop();
      setState('stopped');
      await entity.stop().catch(() => {});
    },
    send: (stanza: Element) => entity.send(stanza),
    replacedCharacters: () => replacedCharacters(),
  });
}
