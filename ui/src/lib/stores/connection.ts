import { readonly, writable } from 'svelte/store';
import { presence, type Element } from '@tickdesk/xmpp/browser';
import { createEmitter } from '../emitter.js';
import { domainOf } from '../jid.js';
import { warn } from '../log.js';
import { rosterGet } from '../xmpp/stanzas.js';
import { createReconnectTimer, type Timers } from './reconnect-timer.js';
import {
  ConnectError,
  type CloseReason,
  type OpenSession,
  type SessionSecret,
  type XmppSession,
} from '../xmpp/xmpp-session.js';

export type ConnectionState = 'connected' | 'reconnecting' | 'offline';
export type OwnShow = 'online' | 'away' | 'busy';

/** What the rest of the page hears from the XMPP connection (components never see the connection). */
export interface ConnectionEvents {
  /** A session is up: initial presence sent; subscribe what you need. */
  online: { jid: string; reconnected: boolean };
  /** The session went away; a reconnect is scheduled. */
  offline: { reason: string };
  /** Reconnecting was refused (credentials): only a new login helps. */
  'session-lost': { reason: string };
  message: Element;
  presence: Element;
}

export type { Timers };

export interface ConnectionDeps {
  open: OpenSession;
  /** `ws(s)://<page host>/xmpp-websocket`. */
  service: string;
  /** This tab's resource; renewed when another session takes it (stream error `conflict`). */
  resource: { current(): string; renew(): string };
  timers?: Timers;
  random?: () => number;
  now?: () => number;
  backoff?: { initialMs: number; maxMs: number };
}

/**
 * A second <conflict/> within this time of the first stops reconnecting. RFC 6120
 * §4.9.3.3: the server closed this stream for a newer one of the same account. Once,
 * a new resource is the answer (a duplicated tab kept ours); again soon after, the
 * server is replacing the oldest session at its cap (ejabberd's max_user_sessions, 10),
 * and each reconnect would replace another of the trader's sessions in turn.
 */
const CONFLICT_WINDOW_MS = 120_000;

const XMPP_SHOW: Record<OwnShow, 'available' | 'away' | 'dnd'> = { online: 'available', away: 'away', busy: 'dnd' };

/**
 * The one owner of the XMPP connection: logs in, keeps the session, reconnects after
 * a backoff (reconnect-timer.ts), re-sends our presence, and hands stanzas to the
 * stores through a typed event map.
 */
export function createConnectionStore(deps: ConnectionDeps) {
  const retry = createReconnectTimer({
    ...deps.backoff,
    ...(deps.timers ? { timers: deps.timers } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  });
  const state = writable<ConnectionState>('offline');
  const fullJid = writable<string | undefined>(undefined);
  const own = writable<{ show: OwnShow; status: string }>({ show: 'online', status: '' });
  const events = createEmitter<ConnectionEvents>();
  let ownNow = { show: 'online' as OwnShow, status: '' };
  let session: XmppSession | undefined;
  let account: { jid: string; domain: string; secret: SessionSecret } | undefined;
  let generation = 0;
  let lastConflictAt = -Infinity;
  const now = deps.now ?? Date.now;

  const ownPresence = () => presence(XMPP_SHOW[ownNow.show], ownNow.status || undefined);

  async function establish(gen: number, reconnected: boolean): Promise<void> {
    const a = account!;
    const s = await deps.open({
      service: deps.service,
      domain: a.domain,
      jid: a.jid,
      resource: deps.resource.current(),
      secret: a.secret,
    });
    if (gen !== generation) {
      await s.close();
      return;
    }
    s.onStanza((st) => {
      if (st.name === 'message') events.emit('message', st);
      else if (st.name === 'presence') events.emit('presence', st);
    });
    s.onClose((reason) => lost(s, reason));
    try {
      // RFC 6121 §2.1.3 roster first, then initial presence (§4.2): contacts' presence follows.
      await s.request(rosterGet()).catch((err: unknown) => warn('roster get failed', { err }));
      await s.send(ownPresence());
    } catch (err) {
      await s.close();
      throw err;
    }
    session = s;
    a.secret = s.secret;
    retry.reset();
    fullJid.set(s.jid);
    state.set('connected');
    events.emit('online', { jid: s.jid, reconnected });
  }

  function lost(s: XmppSession, reason: CloseReason): void {
    if (s !== session) return;
    session = undefined;
    if (reason.condition === 'conflict') {
      const t = now();
      if (t - lastConflictAt < CONFLICT_WINDOW_MS) {
        generation += 1;
        account = undefined;
        fullJid.set(undefined);
        state.set('offline');
        events.emit('offline', { reason: reason.message });
        events.emit('session-lost', {
          reason: `replaced twice by a newer session of this account (${reason.message}): too many open sessions?`,
        });
        return;
      }
      lastConflictAt = t;
      deps.resource.renew();
    }
    state.set('reconnecting');
    events.emit('offline', { reason: reason.message });
    schedule();
  }

  function schedule(): void {
    const gen = generation;
    retry.schedule(() => void attempt(gen));
  }

  async function attempt(gen: number): Promise<void> {
    if (gen !== generation || session || !account) return;
    try {
      await establish(gen, true);
    } catch (err) {
      if (gen !== generation) return;
      if (err instanceof ConnectError && err.kind === 'auth') {
        state.set('offline');
        events.emit('session-lost', { reason: err.message });
      } else {
        schedule();
      }
    }
  }

  return {
    state: readonly(state),
    jid: readonly(fullJid),
    own: readonly(own),
    on: events.on,

    /** First login; rejects with a ConnectError that says why. The password is not kept. */
    async connect(jid: string, password: string): Promise<void> {
      generation += 1;
      retry.cancel();
      await session?.close();
      session = undefined;
      lastConflictAt = -Infinity;
      account = { jid, domain: domainOf(jid), secret: { password } };
      state.set('reconnecting');
      try {
        await establish(generation, false);
      } catch (err) {
        account = undefined;
        state.set('offline');
        throw err instanceof ConnectError ? err : new ConnectError('protocol', String((err as Error)?.message ?? err));
      }
    },

    /** Log out: stop reconnecting, close the stream, forget the keys. */
    async disconnect(): Promise<void> {
      generation += 1;
      retry.cancel();
      const s = session;
      session = undefined;
      account = undefined;
      fullJid.set(undefined);
      state.set('offline');
      await s?.close();
    },

    /** Try now instead of waiting for the backoff (the browser says the network is back). */
    retryNow(): void {
      if (session || !account) return;
      retry.cancel();
      void attempt(generation);
    },

    connected: () => session !== undefined,

    async send(stanza: Element): Promise<void> {
      if (!session) throw new Error('not connected');
      await session.send(stanza);
    },

    async request(iq: Element, timeoutMs?: number): Promise<Element> {
      if (!session) throw new Error('not connected');
      return session.request(iq, timeoutMs);
    },

    /** Our presence (RFC 6121 §4.4), also what every reconnect announces. */
    async setOwnPresence(show: OwnShow, status: string): Promise<void> {
      ownNow = { show, status };
      own.set(ownNow);
      if (session) await session.send(ownPresence());
    },
  };
}

export type ConnectionStore = ReturnType<typeof createConnectionStore>;
