import { readonly, writable } from 'svelte/store';
import { parsePresence, type Show } from '@tickdesk/xmpp/browser';
import type { DeskApi } from '../api/desk-api.js';
import type { TraderPresence } from '../api/rest-types.js';
import { bareJid, domainOf, localpart } from '../jid.js';
import { isoMillis } from '../time-format.js';
import type { Visibility } from './alerts.js';
import type { ConnectionStore, OwnShow } from './connection.js';
import { byDeskThenJid, type DeskShow, type PresenceRow } from './presence-groups.js';
import type { Timers } from './reconnect-timer.js';

export { presenceGroups } from './presence-groups.js';

/**
 * How often GET /v1/presence is read again while the tab is visible: the only way a partner
 * desk's trader's presence reaches the page (our session has no subscription to them), and a
 * new partner trader or desk trader appears within it.
 */
export const PRESENCE_POLL_MS = 10_000;

/** What one resource of a trader last said (RFC 6121 §4.7.2). */
interface ResourceShow {
  show: DeskShow;
  status: string;
}

/** RFC 6121 §4.7.2.1 show values as the desk names them: dnd is busy, xa is away, unavailable is offline. */
export function deskShow(show: Show | TraderPresence['show']): DeskShow {
  if (show === 'dnd') return 'busy';
  if (show === 'away' || show === 'xa') return 'away';
  if (show === 'unavailable' || show === 'offline') return 'offline';
  return 'online';
}

const RANK: Record<DeskShow, number> = { online: 3, away: 2, busy: 1, offline: 0 };

/**
 * Every trader's presence: the REST snapshot (with "since"), then live from roster
 * presence (the desk links traders with mutual subscriptions), folded per account over
 * its resources: the most available one speaks for the trader. Partner desks' traders come
 * from the snapshot only (the engine follows them), read again every PRESENCE_POLL_MS.
 */
export function createPresence(deps: {
  connection: ConnectionStore;
  api: DeskApi;
  now?: () => number;
  ignore: () => string[];
  /** Our desk's domain (the signed-in user's). */
  domain: () => string;
  timers: Timers;
  visibility: Visibility;
}) {
  const now = deps.now ?? Date.now;
  const rows = writable<PresenceRow[]>([]);
  let byJid = new Map<string, PresenceRow>();
  const resources = new Map<string, Map<string, ResourceShow>>();
  /** The partner traders of the last snapshot: a foreign contact's live presence shows only for them. */
  let partners = new Set<string>();
  let watched = '';
  let timer: unknown;

  const publish = () => rows.set([...byJid.values()].sort(byDeskThenJid));

  function fold(jid: string): void {
    let best: ResourceShow = { show: 'offline', status: '' };
    for (const r of resources.get(jid)?.values() ?? []) if (RANK[r.show] > RANK[best.show]) best = r;
    const old = byJid.get(jid);
    const since = old && old.show === best.show ? old.since : isoMillis(now());
    const domain = domainOf(jid);
    byJid.set(jid, { jid, show: best.show, status: best.status, since, domain, remote: domain !== deps.domain() });
    publish();
  }

  deps.connection.on('presence', (stanza) => {
    const p = parsePresence(stanza);
    if (!p) return;
    const jid = bareJid(p.from);
    if (deps.ignore().includes(jid) || !localpart(jid)) return;
    let map = resources.get(jid);
    if (!map) resources.set(jid, (map = new Map<string, ResourceShow>()));
    if (p.show === 'unavailable') map.delete(p.from);
    else map.set(p.from, { show: deskShow(p.show), status: p.status ?? '' });
    if (domainOf(jid) === deps.domain() || partners.has(jid)) fold(jid);
  });
  deps.connection.on('offline', () => resources.clear());

  async function load(domain: string): Promise<void> {
    const traders = await deps.api.presence();
    const next = new Map<string, PresenceRow>();
    partners = new Set(traders.filter((t) => t.remote).map((t) => t.trader));
    for (const t of traders) {
      const jid = t.remote ? t.trader : `${t.trader}@${domain}`;
      // A live presence seen already is newer than the snapshot.
      const live = resources.has(jid) ? byJid.get(jid) : undefined;
      next.set(
        jid,
        live ?? {
          jid,
          show: deskShow(t.show),
          status: t.status ?? '',
          since: t.since ?? '',
          domain: t.remote ? (t.domain ?? domainOf(jid)) : domain,
          remote: t.remote === true,
        },
      );
    }
    for (const [jid, row] of byJid)
      if (!next.has(jid) && row.domain === domain && resources.has(jid)) next.set(jid, row);
    byJid = next;
    publish();
  }

  function schedule(): void {
    deps.timers.clear(timer);
    if (!watched) return;
    timer = deps.timers.set(() => {
      // A failed read keeps the rows shown; the next one tries again.
      if (watched && deps.visibility.visible())
        void load(watched)
          .catch(() => undefined)
          .finally(schedule);
      else schedule();
    }, PRESENCE_POLL_MS);
  }
  deps.visibility.onChange(() => {
    if (watched && deps.visibility.visible()) void load(watched).catch(() => undefined);
  });

  return {
    rows: readonly(rows),
    own: deps.connection.own,
    load,

    /** Read the snapshot again every PRESENCE_POLL_MS while the tab is visible, until `clear`. */
    watch(domain: string): void {
      watched = domain;
      schedule();
    },

    /** Our own presence: RFC 6121 §4.4 presence with show and status; every reconnect repeats it. */
    setMine: (show: OwnShow, status: string) => deps.connection.setOwnPresence(show, status),

    clear(): void {
      watched = '';
      deps.timers.clear(timer);
      byJid = new Map();
      partners = new Set();
      resources.clear();
      publish();
    },
  };
}
