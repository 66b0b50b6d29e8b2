import { randomBytes } from 'node:crypto';

/** How many XEP-0050 sessions may be open, and for how long one may sit idle. */
export interface AdhocSessionLimits {
  /** Open sessions of one trader; a client opens one per command window. */
  perUser: number;
  /** Open sessions in all: each holds a timer and a few hundred bytes. */
  total: number;
  /** A session untouched this long is dropped (XEP-0050 §4.6 session-expired). */
  idleMs: number;
}
export const DEFAULT_ADHOC_SESSION_LIMITS: AdhocSessionLimits = { perUser: 5, total: 1_000, idleMs: 10 * 60_000 };

export interface AdhocSession {
  readonly id: string;
  readonly node: string;
  readonly user: string;
  /** The list command's current page. */
  page: number;
}

/**
 * The open sessions, keyed by id (O(1) per command), each with its own idle timer, and
 * a count per user so the caps cost nothing to check.
 */
export function createAdhocSessions(limits: AdhocSessionLimits, newId: () => string = () => randomBytes(8).toString('hex')) {
  const sessions = new Map<string, { session: AdhocSession; timer: NodeJS.Timeout }>();
  const perUser = new Map<string, number>();

  function close(id: string): void {
    const entry = sessions.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    sessions.delete(id);
    const n = (perUser.get(entry.session.user) ?? 1) - 1;
    if (n > 0) perUser.set(entry.session.user, n);
    else perUser.delete(entry.session.user);
  }
  const idleTimer = (id: string) => {
    const timer = setTimeout(() => close(id), limits.idleMs);
    timer.unref();
    return timer;
  };

  return {
    /** A new session, or which cap refuses it. */
    open(user: string, node: string, page = 1): AdhocSession | 'user-limit' | 'total-limit' {
      if ((perUser.get(user) ?? 0) >= limits.perUser) return 'user-limit';
      if (sessions.size >= limits.total) return 'total-limit';
      const session: AdhocSession = { id: newId(), node, user, page };
      sessions.set(session.id, { session, timer: idleTimer(session.id) });
      perUser.set(user, (perUser.get(user) ?? 0) + 1);
      return session;
    },
    /** The session `id` if it is `user`'s and for `node`; its idle time starts again. */
    get(id: unknown, user: string, node: string): AdhocSession | undefined {
      if (typeof id !== 'string') return undefined;
      const entry = sessions.get(id);
      if (!entry || entry.session.user !== user || entry.session.node !== node) return undefined;
      clearTimeout(entry.timer);
      entry.timer = idleTimer(id);
      return entry.session;
    },
    close,
    get size(): number {
      return sessions.size;
    },
    /** Drop every session and its timer. */
    clear(): void {
      for (const { timer } of sessions.values()) clearTimeout(timer);
      sessions.clear();
      perUser.clear();
    },
  };
}
export type AdhocSessions = ReturnType<typeof createAdhocSessions>;
