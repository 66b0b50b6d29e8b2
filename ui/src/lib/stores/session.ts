import { get, readonly, writable } from 'svelte/store';
import { ApiError } from '../api/http.js';
import type { IssuedToken, Role } from '../api/rest-types.js';
import { createEmitter } from '../emitter.js';
import { parseLoginJid } from '../jid.js';
import { ConnectError } from '../xmpp/xmpp-session.js';
import type { ConnectionStore } from './connection.js';

export interface SessionUser {
  jid: string;
  user: string;
  domain: string;
  role: Role;
}

export interface LoginPrompt {
  open: boolean;
  busy: boolean;
  /** Why the form is back (expired token, lost session); empty on the first login. */
  reason: string;
  error: string;
}

export interface SessionEvents {
  /** Logged in (again): `fresh` when the page state belongs to someone else or nobody. */
  authenticated: { user: SessionUser; fresh: boolean };
  'logged-out': Record<string, never>;
}

/** Words for the login form: wrong credentials and an unreachable server read differently. */
function loginErrorText(err: unknown): string {
  if (err instanceof ConnectError) {
    if (err.kind === 'auth') return 'Wrong JID or password.';
    if (err.kind === 'unreachable') return `Server unreachable: ${err.message}. Try again shortly.`;
    return `Could not connect: ${err.message}.`;
  }
  if (err instanceof ApiError) {
    if (err.code === 'TICKDESK_API_BAD_CREDENTIALS') return 'Wrong JID or password.';
    if (err.unreachable) return 'Server unreachable: the desk did not answer. Check the network and try again.';
    if (err.status === 503)
      return 'Server unreachable: the desk cannot reach its XMPP server to check the password. Try again shortly.';
    if (err.status === 429) return 'Too many login attempts: wait a minute and try again.';
    return err.message;
  }
  return `Could not log in: ${String((err as Error)?.message ?? err)}`;
}

/**
 * Who is logged in: the REST token and the XMPP session. The password lives only in
 * `login`'s arguments. A 401 or a refused reconnect opens the login form over the page,
 * whose state stays; requests waiting on `reauthenticate` continue after the login.
 */
export function createSession(deps: {
  requestToken: (jid: string, password: string) => Promise<IssuedToken>;
  connection: ConnectionStore;
}) {
  const { connection } = deps;
  const user = writable<SessionUser | undefined>(undefined);
  const prompt = writable<LoginPrompt>({ open: true, busy: false, reason: '', error: '' });
  const events = createEmitter<SessionEvents>();
  const beforeLogout: Array<() => Promise<void>> = [];
  let token: string | undefined;
  let waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  const ask = (reason: string) => prompt.update((p) => ({ ...p, open: true, busy: false, reason, error: '' }));
  connection.on('session-lost', ({ reason }) =>
    ask(`The desk refused to reconnect (${reason}). Log in again to continue: the page keeps its state.`),
  );

  async function login(jidText: string, password: string): Promise<boolean> {
    const parsed = parseLoginJid(jidText);
    const fail = (error: string) => (prompt.update((p) => ({ ...p, busy: false, error })), false);
    if (!parsed) return fail('Enter your desk address as name@domain, e.g. alice@desk.localhost.');
    if (!password) return fail('Enter your password.');
    prompt.update((p) => ({ ...p, busy: true, error: '' }));
    const current = get(user);
    const fresh = current?.jid !== parsed.jid;
    try {
      const issued = await deps.requestToken(parsed.jid, password);
      if (fresh && current) await logoutQuietly();
      if (fresh || !connection.connected()) await connection.connect(parsed.jid, password);
      token = issued.token;
      const who: SessionUser = { jid: parsed.jid, user: issued.user, domain: parsed.domain, role: issued.role };
      user.set(who);
      prompt.set({ open: false, busy: false, reason: '', error: '' });
      const ready = waiters;
      waiters = [];
      ready.forEach((w) => w.resolve());
      events.emit('authenticated', { user: who, fresh });
      return true;
    } catch (err) {
      return fail(loginErrorText(err));
    }
  }

  async function logoutQuietly(): Promise<void> {
    for (const hook of beforeLogout) await hook().catch(() => undefined);
    await connection.disconnect();
    token = undefined;
    user.set(undefined);
    const waiting = waiters;
    waiters = [];
    waiting.forEach((w) => w.reject(new ApiError(401, 'LOGGED_OUT', 'logged out')));
    events.emit('logged-out', {});
  }

  return {
    user: readonly(user),
    prompt: readonly(prompt),
    on: events.on,
    login,
    /** Run before the stream closes on logout (unsubscribe from pubsub nodes). */
    beforeLogout: (hook: () => Promise<void>) => void beforeLogout.push(hook),
    async logout(): Promise<void> {
      await logoutQuietly();
      prompt.set({ open: true, busy: false, reason: '', error: '' });
    },
    token: () => token,
    /** HttpAuth: a 401 asks for a new login and waits for it. */
    reauthenticate(err: ApiError): Promise<void> {
      if (!get(user)) return Promise.reject(err);
      token = undefined;
      if (!get(prompt).open) ask('Your login expired. Log in again to continue: the page keeps its state.');
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
  };
}
