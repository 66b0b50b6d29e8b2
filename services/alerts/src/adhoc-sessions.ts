import { randomBytes } from 'node:crypto';

/** How many XEP-0050 sessions may be open, and for how long one may sit idle. */
export interface AdhocSessionLimits {
  /**
   * Open sessions of one trader; a client opens one per command window. One more drops the
   * trader's least recently used session instead of being refused: a client that went away
   * with its sessions open (they are not bound to its presence) must not lock the trader out.
   */
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
 * per user their ids from least to most recently used (at most `perUser`), so the caps
 * cost nothing to check.
 */
export function createAdhocSessions(
  limits: AdhocSessionLimits,
  newId: () => string = () => randomBytes(8).toString('hex'),
) {
  const sessions = new Map<string, { session: AdhocSession; timer: NodeJS.Timeout }>();
  const perUser = new Map<string, Set<string>>();

  function close(id: string): void {
    const entry = sessions.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    sessions.delete(id);
    const ids = perUser.get(entry.session.user);
    ids?.delete(id);
    if (ids?.size === 0) perUser.delete(entry.session.user);
  }
  /** A Set iterates in insertion order: deleting and adding again makes `id` the most recently used. */
  const touch = (user: string, id: string) => {
    const ids = perUser.get(user) ?? new Set<string>();
    ids.delete(id);
    ids.add(id);
    perUser.set(user, ids);
  };
  const idleTimer = (id: string) => {
    const timer = setTimeout(() => close(id), limits.idleMs);
    timer.unref();
    return timer;
  };

  return {
    /** A new session (dropping the user's least recently used one at the per-user cap), or 'total-limit'. */
    open(user: string, node: string, page = 1): AdhocSession | 'total-limit' {
      const mine = perUser.get(user);
      if (mine && mine.size >= limits.perUser) close(mine.values().next().value!);
      else if (sessions.size >= limits.total) return 'total-limit';
      const session: AdhocSession = { id: newId(), node, user, page };
      sessions.set(session.id, { session, timer: idleTimer(session.id) });
      touch(user, session.id);
      return session;
    },
    /** The session `id` if it is `user`'s and for `node`; its idle time starts again. */
    get(id: unknown, user: string, node: string): AdhocSession | undefined {
      if (typeof id !== 'string') return undefined;
      const entry = sessions.get(id);
      if (!entry || entry.session.user !== user || entry.session.node !== node) return undefined;
      clearTimeout(entry.timer);
      entry.timer = idleTimer(id);
      touch(user, id);
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
