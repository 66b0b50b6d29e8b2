/** The desk's traders and the partner desks' (by domain), as the Desk panel lists them. */

export type DeskShow = 'online' | 'away' | 'busy' | 'offline';

export interface PresenceRow {
  jid: string;
  show: DeskShow;
  status: string;
  /** When `show` last changed, XEP-0082 UTC; empty when unknown. */
  since: string;
  /** The member's desk: ours, or a partner desk's XMPP domain. */
  domain: string;
  /** A partner desk's trader whom the alert engine follows (GET /v1/presence `remote`). */
  remote: boolean;
}

export interface PresenceGroup {
  domain: string;
  remote: boolean;
  rows: PresenceRow[];
}

/** Our desk first, then each partner desk by domain; by JID within a desk. */
export function byDeskThenJid(a: PresenceRow, b: PresenceRow): number {
  return Number(a.remote) - Number(b.remote) || a.domain.localeCompare(b.domain) || a.jid.localeCompare(b.jid);
}

/** Rows sorted by `byDeskThenJid`, cut into one group per desk. */
export function presenceGroups(rows: readonly PresenceRow[]): PresenceGroup[] {
  const groups: PresenceGroup[] = [];
  for (const row of rows) {
    const last = groups.at(-1);
    if (last && last.domain === row.domain && last.remote === row.remote) last.rows.push(row);
    else groups.push({ domain: row.domain, remote: row.remote, rows: [row] });
  }
  return groups;
}
