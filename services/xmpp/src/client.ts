import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Logger } from 'pino';
import type { Client } from '@xmpp/client-core';
import tcp from '@xmpp/tcp';
import type { Element } from '@xmpp/xml';
import { createBackoff } from './backoff.js';
import { composeClient, type IQCallee } from './compose.js';
import { XmppError } from './errors.js';
import { starttls } from './starttls.js';
import type { IQCaller } from './iq-caller.js';
import { NS } from './namespaces.js';
import type { StreamManagement } from './stream-management.js';
import { sanitizeElement } from './xml-safe.js';
import { guardConnection } from './connection-guard.js';

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
 * Reconnect delays: full jitter under a cap that doubles from 250 ms to 2 s. A restarted
 * Prosody (supervised by `tickdesk up`, back in about a second) is reached within 2 s of
 * coming back, inside /health's 10 s; on one machine a 2 s cap costs nothing.
 */
export const DEFAULT_RECONNECT = { initialMs: 250, maxMs: 2_000 } as const;

/**
 * STARTTLS, SCRAM and binding take tens of milliseconds on a desk; 10 s leaves room for a
 * loaded or starting server and still comes back well inside an operator's patience.
 */
export const DEFAULT_NEGOTIATION_TIMEOUT_MS = 10_000;

/**
 * The services' XMPP client: the one composition (compose.ts) over TCP + STARTTLS verified
 * against the desk CA, with stream management (XEP-0198), Nagle off, a node ring and
 * reconnection with exponential backoff and jitter.
 */
export function createXmppClient(opts: XmppClientOptions): XmppClient {
  const log = opts.log.child({ component: 'xmpp', jid: `${opts.username}@${opts.domain}` });
  const nodes = nodeList(opts);
  let current = 0;
  const nextNode = () => {
    current = (current + 1) % nodes.length;
    return nodes[current]!;
  };
  let replaced = 0;
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
      // Every element leaves through entity.send (IQ replies of the middleware, the IQ caller,
      // stream management): a character XML 1.0 forbids becomes U+FFFD there, so no text that
      // slipped past a boundary check can make the server close the stream (RFC 6120 §4.9.3.13).
      const rawSend = entity.send.bind(entity);
      entity.send = (element: Element, ...rest: unknown[]) => {
        // Before the session is online only negotiation goes out (RFC 6120 §6.4.2, §7): a
        // stanza written while reconnecting would reach the server before STARTTLS or SASL,
        // and ejabberd closes such a stream with <policy-violation/>, again on every retry.
        if (STANZAS.has(element.name) && entity.status !== 'online' && !isBindRequest(element)) {
          return Promise.reject(
            new XmppError(
              'TICKDESK_XMPP_NOT_CONNECTED',
              `not connected: ${element.name} to ${String(element.attrs.to ?? 'the server')} not sent`,
            ),
          );
        }
        const n = sanitizeElement(element);
        if (n > 0) {
          replaced += n;
          log.warn(
            { replaced: n, stanza: element.name, id: element.attrs.id, to: element.attrs.to },
            'replaced characters XML 1.0 forbids before sending',
          );
        }
        return rawSend(element, ...rest);
      };
    },
    transport({ entity, streamFeatures }) {
      tcp({ entity });
      starttls({ streamFeatures, ca: opts.ca });
    },
  });

  const emitter = new EventEmitter() as XmppClient;
  let state: ConnectionState = 'stopped';
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let negotiation: NodeJS.Timeout | undefined;
  let downSince: number | undefined;
  const backoff = createBackoff(opts.reconnect || DEFAULT_RECONNECT);
  const setState = (s: ConnectionState) => {
    if (s !== state) {
      state = s;
      emitter.emit('state', s);
    }
  };

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
    // How long a lost session took to come back, and where: the figure an operator looks for after a node died.
    if (downSince !== undefined)
      log.info({ service: nodes[current], downMs: Date.now() - downSince, attempts: backoff.attempt }, 'reconnected');
    downSince = undefined;
    clearTimeout(negotiation);
    backoff.reset();
    setState('running');
    emitter.emit('online', jid.toString());
  });
  entity.on('disconnect', () => {
    if (stopping || opts.reconnect === false || state === 'starting') return;
    downSince ??= Date.now();
    setState('degraded');
    emitter.emit('offline');
    scheduleReconnect();
  });

  function scheduleReconnect() {
    clearTimeout(timer);
    const info = backoff.next();
    emitter.emit('reconnecting', info);
    log.info(info, 'reconnecting');
    // Detached on purpose: reconnect() catches its own failures and schedules the next attempt.
    timer = setTimeout(() => void reconnect(), info.delayMs);
  }

  async function reconnect(): Promise<void> {
    if (stopping || entity.status !== 'disconnect') return;
    const service = nextNode();
    try {
      if (nodes.length > 1) log.info({ service }, 'reconnecting to the next node');
      await entity.connect(service);
      await entity.open({ domain: opts.domain });
      watchNegotiation(service);
    } catch (err) {
      log.warn({ err }, 'reconnect failed');
      if (entity.status === 'disconnect' || entity.status === 'offline') scheduleReconnect();
    }
  }

  /**
   * The rest of the negotiation runs in stream-feature handlers whose failures are only
   * logged ('xmpp connection error'): a node that accepts the stream but refuses or never
   * answers SASL or binding (ejabberd while it starts) would hold the session short of
   * online with nothing left to reconnect it. Dropping it brings the usual reconnect.
   */
  function watchNegotiation(service: string) {
    clearTimeout(negotiation);
    const ms = opts.negotiationTimeoutMs ?? DEFAULT_NEGOTIATION_TIMEOUT_MS;
    negotiation = setTimeout(() => {
      if (stopping || entity.status === 'online' || entity.status === 'disconnect') return;
      log.warn(
        { service, status: entity.status, timeoutMs: ms },
        'session not online in time after reconnecting: dropping the connection',
      );
      entity.disconnect().catch(() => {});
    }, ms);
  }

  /** Start on `service`; a node that refuses the connection passes the start to the next one. */
  async function startOnSomeNode(): Promise<{ toString(): string }> {
    current = 0;
    for (let tried = 1; ; tried++) {
      try {
        return await startEntity(entity, nodes[current]!, opts.domain);
      } catch (err) {
        if (tried >= nodes.length || !isUnreachable(err)) throw err;
        log.warn({ service: nodes[current], err }, 'XMPP node unreachable, trying the next');
        await entity.stop().catch(() => {});
        nextNode();
      }
    }
  }

  return Object.assign(emitter, {
    entity,
    iq,
    iqCallee,
    streamManagement: sm!,
    jid: () => entity.jid?.toString(),
    bareJid: () => `${opts.username}@${opts.domain}`,
    state: () => state,
    async start() {
      stopping = false;
      setState('starting');
      try {
        const jid = await startOnSomeNode();
        return jid.toString();
      } catch (err) {
        setState('stopped');
        await entity.stop().catch(() => {});
        throw describeStartError(err, opts);
      }
    },
    async stop() {
      stopping = true;
      clearTimeout(timer);
      clearTimeout(negotiation);
      setState('stopped');
      await entity.stop().catch(() => {});
    },
    send: (stanza: Element) => entity.send(stanza),
    replacedCharacters: () => replaced,
  });
}

/** `service` first, then the other nodes in their order after it (so every client walks the ring the same way). */
function nodeList(opts: XmppClientOptions): string[] {
  const all = opts.services ?? [];
  const at = all.indexOf(opts.service);
  if (at < 0) return [opts.service, ...all];
  return [...all.slice(at), ...all.slice(0, at)];
}

const isUnreachable = (err: unknown): boolean =>
  ['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET'].includes((err as { code?: string }).code ?? '');

const STANZAS = new Set(['message', 'presence', 'iq']);
const isBindRequest = (el: Element): boolean => el.name === 'iq' && el.getChild('bind', NS.bind) !== undefined;

function describeStartError(err: unknown, opts: XmppClientOptions): XmppError {
  const e = err as { name?: string; condition?: string; code?: string; message?: string };
  const who = `${opts.username}@${opts.domain}`;
  if (e.name === 'SASLError' && e.condition === 'invalid-mechanism') {
    return new XmppError('TICKDESK_XMPP_AUTH_FAILED', `XMPP login as ${who} impossible: ${e.message}`, e.condition);
  }
  if (e.name === 'SASLError') {
    return new XmppError(
      'TICKDESK_XMPP_AUTH_FAILED',
      `XMPP login as ${who} refused (${e.condition}): check the password in the credentials file`,
      e.condition,
    );
  }
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ETIMEDOUT') {
    return new XmppError(
      'TICKDESK_XMPP_UNREACHABLE',
      `XMPP server at ${opts.service} unreachable (${e.code}): is it running?`,
    );
  }
  if (typeof e.code === 'string' && /TLS|SSL|CERT|VERIFY|SIGNATURE|SELF_SIGNED/.test(e.code)) {
    return new XmppError(
      'TICKDESK_XMPP_TLS_FAILED',
      `TLS to ${opts.service} failed (${e.code}): the client must trust the desk CA`,
    );
  }
  if (err instanceof XmppError) return err;
  return new XmppError('TICKDESK_XMPP_UNREACHABLE', `XMPP start as ${who} failed: ${e.message ?? String(err)}`);
}

/**
 * `entity.start()` of xmpp.js 0.14 waits for 'online' with a promise it only returns
 * after the stream opened; if the connection fails before that, that promise rejects
 * with nobody listening (an unhandled rejection). The same steps, with it handled.
 */
async function startEntity(entity: Client, service: string, domain: string): Promise<{ toString(): string }> {
  if (entity.status !== 'offline') throw new Error('Connection is not offline');
  await entity.connect(service);
  const online = new Promise<{ toString(): string }>((resolve, reject) => {
    const onOnline = (jid: { toString(): string }) => {
      entity.off('error', onError);
      resolve(jid);
    };
    const onError = (err: Error) => {
      entity.off('online', onOnline);
      reject(err);
    };
    entity.once('online', onOnline);
    entity.once('error', onError);
  });
  online.catch(() => undefined);
  await entity.open({ domain });
  return online;
}
