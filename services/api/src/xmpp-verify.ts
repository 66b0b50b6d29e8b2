import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { createXmppClient, XmppError } from '@tickdesk/xmpp';
import type { VerifyPassword } from './routes/auth.js';

export interface XmppVerifierOptions {
  /** `xmpp://127.0.0.1:5222` */
  service: string;
  /** Every node of a clustered server: a login goes to the next when `service` refuses. */
  services?: readonly string[];
  domain: string;
  /** PEM of the desk CA. */
  ca?: string | Buffer;
  log: Logger;
  timeoutMs: number;
}

/**
 * Verifies a password by logging in to the XMPP server (STARTTLS, SCRAM-SHA-1: the
 * desk never stores or sees a password hash) and logging out at once. A refused
 * SASL exchange is `false`; an unreachable server, a timeout or a locked account
 * (temporary-auth-failure) throws, so the API can answer 503 or 429 rather than
 * "wrong password".
 */
export function createXmppPasswordVerifier(opts: XmppVerifierOptions): VerifyPassword {
  const log = opts.log.child({ component: 'xmpp-verify' });
  return async (user, password) => {
    const client = createXmppClient({
      service: opts.service,
      ...(opts.services ? { services: opts.services } : {}),
      domain: opts.domain,
      username: user,
      password,
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      // A resource of its own so the login never replaces one of the user's sessions.
      resource: `api-${randomBytes(6).toString('hex')}`,
      reconnect: false,
      log,
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new XmppError('TICKDESK_XMPP_TIMEOUT', `XMPP login took over ${opts.timeoutMs} ms`)),
        opts.timeoutMs,
      );
    });
    const started = client.start();
    // When the timeout wins, the login attempt still settles later (e.g. ECONNRESET as
    // the socket closes): it must not become an unhandled rejection.
    started.catch(() => undefined);
    try {
      await Promise.race([started, timeout]);
      return true;
    } catch (err) {
      // RFC 6120 §6.5.9: temporary-auth-failure says nothing about the password (the
      // server has locked the account or address after failed logins), so it is not `false`.
      if (
        err instanceof XmppError &&
        err.code === 'TICKDESK_XMPP_AUTH_FAILED' &&
        err.condition !== 'temporary-auth-failure'
      )
        return false;
      throw err;
    } finally {
      clearTimeout(timer);
      // Closing waits for the server's </stream>; the answer does not need to.
      void client.stop().catch(() => undefined);
    }
  };
}
