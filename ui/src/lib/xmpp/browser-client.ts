import { composeClient, jidLocal, NS, websocketTransport, type Element, type ScramKeys } from '@tickdesk/xmpp/browser';
import { ConnectError, type CloseReason, type OpenSession, type XmppSession } from './xmpp-session.js';

const OPEN_TIMEOUT_MS = 20_000;

/**
 * The services' client composition (@tickdesk/xmpp composeClient) over WebSocket (RFC 7395):
 * SCRAM-SHA-1 on WebCrypto that verifies the server, resource binding, our IQ caller. No
 * xmpp.js reconnect (the connection store backs off with jitter instead) and no XEP-0198:
 * a new session resubscribes instead.
 */
export const openBrowserSession: OpenSession = async ({ service, domain, jid, resource, secret }) => {
  let keys: ScramKeys | undefined;
  const { entity, iq, iqCallee } = composeClient({
    service,
    domain,
    resource,
    transport: websocketTransport,
    credentials: () => ({
      username: jidLocal(jid),
      ...('password' in secret ? { password: secret.password } : { keys: secret.scram as ScramKeys }),
    }),
    // The keys stand in for the password on reconnects, so it need not stay in memory (RFC 5802 §3).
    onKeys: (k) => (keys = k),
  });
  // RFC 6121 §2.1.6: a roster push is acknowledged with an empty result.
  iqCallee.set(NS.roster, 'query', () => ({}));

  const stanzaHandlers: Array<(s: Element) => void> = [];
  const closeHandlers: Array<(r: CloseReason) => void> = [];
  let lastError: { condition?: string; message: string } | undefined;
  let closing = false;
  entity.on('error', (err: Error & { condition?: string }) => {
    lastError = { ...(err.condition ? { condition: err.condition } : {}), message: err.message };
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
    secret: keys ? { scram: keys } : secret,
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

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new ConnectError('unreachable', 'the XMPP server did not answer in time')), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  const e = err as { name?: string; condition?: string; message?: string };
  if (typeof globalThis.crypto?.subtle === 'undefined') {
    return new ConnectError('protocol', 'SCRAM needs a secure page (https or localhost)');
  }
  if (e?.name === 'SASLError' && e.condition === 'invalid-mechanism')
    return new ConnectError('protocol', e.message ?? 'the server offers no SCRAM-SHA-1');
  if (e?.name === 'SASLError') {
    return e.condition === 'not-authorized'
      ? new ConnectError('auth', 'wrong JID or password')
      : new ConnectError('auth', `login refused: ${e.condition ?? e.message}`);
  }
  if (e?.name === 'StreamError')
    return new ConnectError('protocol', `the server closed the stream: ${e.condition ?? e.message}`);
  return new ConnectError('unreachable', `the XMPP server is unreachable${e?.message ? ` (${e.message})` : ''}`);
}
