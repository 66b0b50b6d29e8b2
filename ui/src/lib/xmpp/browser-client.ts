import { Client } from '@xmpp/client-core';
import websocket from '@xmpp/websocket';
import middlewareFactory from '@xmpp/middleware';
import streamFeaturesFactory from '@xmpp/stream-features';
import iqCalleeFactory from '@xmpp/iq/callee.js';
import resourceBinding from '@xmpp/resource-binding';
import SASLFactory from 'saslmechanisms';
import { createIqCaller, sasl, type Element } from '@tickdesk/xmpp/browser';
import { keyReportingScram } from './scram-keys.js';
import { ConnectError, type CloseReason, type OpenSession, type SessionSecret, type XmppSession } from './xmpp-session.js';

const OPEN_TIMEOUT_MS = 20_000;

/**
 * XMPP over WebSocket (RFC 7395) composed from xmpp.js parts, like services/xmpp does
 * for TCP: SCRAM-SHA-1 only (never PLAIN, even where xmpp.js would call ws://localhost
 * secure), resource binding, our iq caller. No xmpp.js reconnect (a fixed second: the
 * connection store backs off with jitter instead) and no XEP-0198, whose xmpp.js 0.14
 * 'h' count drifts (docs/architecture.md); a new session resubscribes instead.
 */
export const openBrowserSession: OpenSession = async ({ service, domain, jid, resource, secret }) => {
  const entity = new Client({ service, domain });
  websocket({ entity });
  const middleware = middlewareFactory({ entity });
  const streamFeatures = streamFeaturesFactory({ middleware });
  const iq = createIqCaller(entity as never);
  const callee = iqCalleeFactory({ middleware, entity });
  callee.get('urn:xmpp:ping', 'ping', () => ({}));
  // RFC 6121 §2.1.6: a roster push is acknowledged with an empty result.
  callee.set('jabber:iq:roster', 'query', () => ({}));

  let keys: unknown;
  const factory = new SASLFactory();
  factory.use(keyReportingScram((k) => (keys = k)));
  const username = jid.split('@')[0]!;
  sasl({ streamFeatures, saslFactory: factory }, async (done, mechanisms) => {
    if (!mechanisms.includes('SCRAM-SHA-1')) throw new ConnectError('protocol', 'the server does not offer SCRAM-SHA-1');
    const creds = 'password' in secret ? { password: secret.password } : (secret.scram as object);
    await done({ username, ...creds }, 'SCRAM-SHA-1');
  });
  resourceBinding({ streamFeatures, iqCaller: iq }, resource);

  const stanzaHandlers: Array<(s: Element) => void> = [];
  const closeHandlers: Array<(r: CloseReason) => void> = [];
  let lastError: { condition?: string; message: string } | undefined;
  let closing = false;
  entity.on('error', (err: { condition?: string; message?: string }) => {
    lastError = { ...(err.condition ? { condition: err.condition } : {}), message: err.message ?? String(err) };
  });
  entity.on('stanza', (s: Element) => stanzaHandlers.forEach((h) => h(s)));

  try {
    await withTimeout(entity.start(), OPEN_TIMEOUT_MS);
  } catch (err) {
    entity.stop().catch(() => undefined);
    throw toConnectError(err);
  }
  entity.on('disconnect', () => {
    if (closing) return;
    closing = true;
    const reason: CloseReason = lastError ?? { message: 'connection lost' };
    closeHandlers.forEach((h) => h(reason));
  });

  const session: XmppSession = {
    jid: String(entity.jid),
    secret: (keys ? { scram: keys } : secret) as SessionSecret,
    send: (stanza) => entity.send(stanza),
    request: (stanza, timeoutMs) => iq.request(stanza, timeoutMs),
    onStanza: (h) => void stanzaHandlers.push(h),
    onClose: (h) => void closeHandlers.push(h),
    async close() {
      closing = true;
      await entity.stop().catch(() => undefined);
    },
  };
  return session;
};

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new ConnectError('unreachable', 'the XMPP server did not answer in time')), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  const e = err as { name?: string; condition?: string; message?: string };
  if (e?.name === 'SASLError') {
    return e.condition === 'not-authorized'
      ? new ConnectError('auth', 'wrong JID or password')
      : new ConnectError('auth', `login refused: ${e.condition ?? e.message}`);
  }
  if (typeof globalThis.crypto?.subtle === 'undefined') {
    return new ConnectError('protocol', 'SCRAM needs a secure page (https or localhost)');
  }
  if (e?.name === 'StreamError') return new ConnectError('protocol', `the server closed the stream: ${e.condition ?? e.message}`);
  return new ConnectError('unreachable', `the XMPP server is unreachable${e?.message ? ` (${e.message})` : ''}`);
}
