import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { formatMillis, type DeskShow, type StoredPresence as TraderPresence } from '@tickdesk/schemas';
import { createPresenceStore, DEFAULT_PREFIX } from '@tickdesk/store';
import { parsePresence, presence, type Element, type XmppClient } from '@tickdesk/xmpp';
import { deskTrader, isRemoteTrader } from './desk-user.js';

/** A trader's presence as the desk routes by it: the record in @tickdesk/schemas (presence.ts). */
export type { DeskShow, TraderPresence };

/** Most reachable first: a trader with one available and one dnd resource is online. */
const RANK: Record<DeskShow, number> = { online: 4, away: 3, xa: 2, dnd: 1, offline: 0 };

/** What one of a trader's resources last announced. */
interface ResourcePresence {
  show: DeskShow;
  status?: string;
  priority: number;
}

export interface PresenceTrackerDeps {
  client: XmppClient;
  redis: Redis;
  domain: string;
  /**
   * Whether a trader's presence is followed: a local user who is a trader (roles live in Redis
   * and may change), or a partner desk's trader (bare JID) that a rule names.
   */
  isTrader: (trader: string) => boolean;
  /** Partner desks' domains, whose traders are followed by bare JID. */
  peers?: ReadonlySet<string>;
  log: Logger;
  prefix?: string;
  /** After a reconnect, traders who sent no presence within this time are offline. */
  resyncMs?: number;
  now?: () => number;
}

/**
 * A live snapshot of every trader's presence, from the presence the desk account
 * receives (RFC 6121 §4: it is subscribed to each trader, a partner desk's too). Kept per resource, folded
 * to the most reachable one, mirrored to Redis for the REST API and announced on a
 * channel there.
 */
export function createPresenceTracker({
  client,
  redis,
  domain,
  isTrader,
  peers = new Set<string>(),
  log: parentLog,
  prefix = DEFAULT_PREFIX,
  resyncMs = 1_500,
  now = Date.now,
}: PresenceTrackerDeps) {
  const log = parentLog.child({ component: 'presence' });
  const events = new EventEmitter<{
    change: [current: TraderPresence, previous: TraderPresence];
    resynced: [available: string[]];
  }>();
  const resources = new Map<string, Map<string, ResourcePresence>>();
  const current = new Map<string, TraderPresence>();
  let resyncTimer: NodeJS.Timeout | undefined;
  // Sessions this tracker has seen start: from the second on, each is a reconnect.
  let sessions = 0;
  // Ready once the first resync after start is over: every trader's presence is the server's now.
  let markReady: () => void = () => undefined;
  const store = createPresenceStore({ redis, prefix });

  const offline = (trader: string): TraderPresence => ({ trader, show: 'offline', since: formatMillis(now()) });
  const get = (trader: string): TraderPresence => current.get(trader) ?? offline(trader);

  function fold(trader: string): { show: DeskShow; status?: string } {
    let best: ResourcePresence | undefined;
    for (const r of resources.get(trader)?.values() ?? []) {
      if (!best || RANK[r.show] > RANK[best.show] || (RANK[r.show] === RANK[best.show] && r.priority > best.priority))
        best = r;
    }
    return best ? { show: best.show, ...(best.status ? { status: best.status } : {}) } : { show: 'offline' };
  }

  function publish(trader: string) {
    const prev = get(trader);
    const next = fold(trader);
    if (prev.show === next.show && prev.status === next.status && current.has(trader)) return;
    const entry: TraderPresence = {
      trader,
      ...next,
      since: prev.show === next.show && current.has(trader) ? prev.since : formatMillis(now()),
    };
    current.set(trader, entry);
    store.publish(entry).catch((err: Error) => log.warn({ err }, 'presence snapshot write failed'));
    events.emit('change', entry, prev);
  }

  /**
   * A stanza to a partner's trader bounced (RFC 6120 §8.3: the error comes from their JID):
   * the link or their server is down, and no unavailable presence will come over it. They
   * count as offline until their server sends presence again, which is when the alerts sent
   * meanwhile go again (trader-return.ts).
   */
  function onBounce(stanza: Element) {
    const who = deskTrader(String(stanza.attrs.from ?? ''), domain, peers);
    if (!who || !isRemoteTrader(who.trader) || !resources.has(who.trader)) return;
    log.info({ trader: who.trader, stanza: stanza.name }, "stanza to a partner's trader bounced: offline until heard");
    resources.delete(who.trader);
    publish(who.trader);
  }

  function onStanza(stanza: Element) {
    if (stanza.attrs.type === 'error' && (stanza.name === 'message' || stanza.name === 'presence'))
      return onBounce(stanza);
    const p = parsePresence(stanza);
    if (!p) return;
    // A partner's trader comes over the server-to-server link, subscribed as a local one is.
    const who = deskTrader(p.from, domain, peers);
    if (!who || !isTrader(who.trader)) return;
    const { trader: user, resource } = who;
    const map = resources.get(user) ?? new Map<string, ResourcePresence>();
    resources.set(user, map);
    if (p.show === 'unavailable') map.delete(resource);
    else {
      const show: DeskShow = p.show === 'available' || p.show === 'chat' ? 'online' : p.show;
      map.set(resource, { show, ...(p.status ? { status: p.status } : {}), priority: p.priority });
    }
    publish(user);
    // Every trader has a resource already: nothing is left for the resync to decide.
    if (resyncTimer && [...current.keys()].every((t) => resources.has(t))) resync();
  }

  function resync() {
    clearTimeout(resyncTimer);
    resyncTimer = undefined;
    for (const trader of current.keys()) if (!resources.has(trader)) publish(trader);
    markReady();
    // A trader online before and after our reconnect shows no change: say who is reachable
    // now, so alerts sent into the sessions the server lost go again (trader-return.ts).
    if (sessions > 1)
      events.emit(
        'resynced',
        [...current.values()].filter((p) => p.show !== 'offline' && p.show !== 'dnd').map((p) => p.trader),
      );
  }

  function onOnline() {
    // The server sends every contact's presence after ours (RFC 6121 §4.2.2); until it
    // has, keep the last snapshot, then whoever stayed silent is offline.
    resources.clear();
    sessions += 1;
    client
      .send(presence('available', 'tickdesk alerts'))
      .catch((err: Error) => log.warn({ err }, 'initial presence failed'));
    clearTimeout(resyncTimer);
    resyncTimer = setTimeout(resync, resyncMs);
  }

  return Object.assign(events, {
    /** Traders not yet known (a new account) start offline. */
    track(trader: string): void {
      if (!current.has(trader)) publish(trader);
    },
    /**
     * Resolves when the snapshot is the server's: after the presence sent at start, every
     * trader has answered or `resyncMs` passed (the silent ones are offline then). Not
     * online yet: at once, with the snapshot Redis had (the first 'online' resyncs it).
     */
    async start(traders: readonly string[]): Promise<void> {
      const ready = new Promise<void>((resolve) => {
        markReady = resolve;
      });
      // Start from what Redis knew, so `since` survives a restart of the engine.
      const stored = await store.all();
      for (const trader of traders) {
        const saved = stored.get(trader) ?? undefined;
        const entry = saved ?? offline(trader);
        current.set(trader, entry);
        if (!saved) await store.put(entry);
      }
      client.on('stanza', onStanza);
      client.on('online', onOnline);
      if (!client.jid()) markReady();
      else {
        onOnline();
        if (current.size === 0) resync(); // no trader to wait for
      }
      await ready;
    },
    stop(): void {
      markReady();
      clearTimeout(resyncTimer);
      client.off('stanza', onStanza);
      client.off('online', onOnline);
    },
    /**
     * A trader no longer followed (a partner desk's trader no rule names): forgotten here, so
     * their last presence (the unavailable their server sends on our unsubscribe) writes
     * nothing, and their entry leaves the snapshot the REST API and the dashboard read.
     */
    async untrack(trader: string): Promise<void> {
      resources.delete(trader);
      current.delete(trader);
      await store.remove(trader);
    },
    get,
    snapshot: (): TraderPresence[] => [...current.values()],
  });
}
export type PresenceTracker = ReturnType<typeof createPresenceTracker>;
