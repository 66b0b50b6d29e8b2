import { readonly, writable } from 'svelte/store';
import { parsePresence, type Show } from '@tickdesk/xmpp/browser';
import type { DeskApi } from '../api/desk-api.js';
import type { TraderPresence } from '../api/rest-types.js';
import { bareJid, domainOf, localpart } from '../jid.js';
import { isoMillis } from '../time-format.js';
import type { ConnectionStore, OwnShow } from './connection.js';

export type DeskShow = 'online' | 'away' | 'busy' | 'offline';

/** What one resource of a trader last said (RFC 6121 §4.7.2). */
interface ResourceShow {
  show: DeskShow;
  status: string;
}

export interface PresenceRow {
  jid: string;
  show: DeskShow;
  status: string;
  /** When `show` last changed, XEP-0082 UTC; empty when unknown. */
  since: string;
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
 * its resources: the most available one speaks for the trader.
 */
export function createPresence(deps: {
  connection: ConnectionStore;
  api: DeskApi;
  now?: () => number;
  ignore: () => string[];
}) {
  const now = deps.now ?? Date.now;
  const rows = writable<PresenceRow[]>([]);
  let byJid = new Map<string, PresenceRow>();
  const resources = new Map<string, Map<string, ResourceShow>>();

  const publish = () => rows.set([...byJid.values()].sort((a, b) => a.jid.localeCompare(b.jid)));

  function fold(jid: string): void {
    let best: ResourceShow = { show: 'offline', status: '' };
    for (const r of resources.get(jid)?.values() ?? []) if (RANK[r.show] > RANK[best.show]) best = r;
    const old = byJid.get(jid);
    const since = old && old.show === best.show ? old.since : isoMillis(now());
    byJid.set(jid, { jid, show: best.show, status: best.status, since });
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
    fold(jid);
  });
  deps.connection.on('offline', () => resources.clear());

  return {
    rows: readonly(rows),
    own: deps.connection.own,

    async load(domain: string): Promise<void> {
      const traders = await deps.api.presence();
      const next = new Map<string, PresenceRow>();
      for (const t of traders) {
        const jid = `${t.trader}@${domain}`;
        // A live presence seen already is newer than the snapshot.
        next.set(
          jid,
          resources.has(jid) && byJid.has(jid)
            ? byJid.get(jid)!
            : { jid, show: deskShow(t.show), status: t.status ?? '', since: t.since ?? '' },
        );
      }
      for (const [jid, row] of byJid)
        if (!next.has(jid) && domainOf(jid) === domain && resources.has(jid)) next.set(jid, row);
      byJid = next;
      publish();
    },

    /** Our own presence: RFC 6121 §4.4 presence with show and status; every reconnect repeats it. */
    setMine: (show: OwnShow, status: string) => deps.connection.setOwnPresence(show, status),

    clear(): void {
      byJid = new Map();
      resources.clear();
      publish();
    },
  };
}
