import type { ComponentHealth } from '../api/rest-types.js';

/** A part as the dashboard shows it: ok, degraded (running but not well), starting, or down (its process gone or not answering). */
export type PartState = 'ok' | 'degraded' | 'starting' | 'down';

export const PART_GROUPS = ['XMPP', 'Redis', 'Alert engines', 'Feeds', 'Recorders', 'API'] as const;
export type PartGroup = (typeof PART_GROUPS)[number];

export interface DeskPartRow {
  /** The part's name as `tickdesk status` and desk.json give it: xmpp, redis-replica, alerts-2, feed-standby… */
  name: string;
  group: PartGroup;
  state: PartState;
  detail: string;
  restarts: number;
  lastExit?: string;
  /** When `up` last started the part again (ISO 8601). */
  lastRestartAt?: string;
  /** A Sentinel desk's Redis processes: which one is the primary now. */
  role?: 'primary' | 'replica';
  /** The instruments an engine or a feed reports holding, when its detail names them. */
  holds?: string[];
}

/** /health's component names that differ from the part names of `tickdesk status`. */
const PART_NAME: Record<string, string> = { feeds: 'feed', engine: 'alerts' };

function partName(component: string): string {
  const engine = /^engine-(\d+)$/.exec(component);
  return engine ? `alerts-${engine[1]}` : (PART_NAME[component] ?? component);
}

function groupOf(part: string): PartGroup | undefined {
  if (part === 'xmpp' || /^xmpp-\d+$/.test(part)) return 'XMPP';
  if (part === 'redis' || part === 'redis-replica' || /^sentinel-\d+$/.test(part)) return 'Redis';
  if (part === 'alerts' || /^alerts-\d+$/.test(part)) return 'Alert engines';
  if (part === 'feed' || part === 'feed-standby') return 'Feeds';
  if (part === 'recorder' || part === 'recorder-standby') return 'Recorders';
  if (part === 'api') return 'API';
  return undefined;
}

// Details the supervisor and the probes write when a part's process is not there (services/api/src/desk-health.ts).
const GONE = /(restarting|failed)$|does not answer|ECONNREFUSED|connect timed out/;

function stateOf(c: ComponentHealth): PartState {
  if (c.state === 'running') return 'ok';
  if (c.state === 'starting') return 'starting';
  if (c.state === 'stopped' || GONE.test(c.detail ?? '')) return 'down';
  return 'degraded';
}

/**
 * The instruments a part's detail names: an engine's `slot 1: BTCUSDT ETHUSDT` (services/desk
 * run-alerts.ts), a feed's `publishing BTCUSDT, ETHUSDT`; none for `no instrument` or a standby
 * that holds nothing.
 */
export function heldInstruments(detail: string | undefined): string[] | undefined {
  const m =
    /^slot \d+: (.*?)( \(lease renewal failing\))?$/.exec(detail ?? '') ?? /^publishing (.*)$/.exec(detail ?? '');
  if (m) return m[1] === 'no instrument' ? [] : m[1]!.split(/[ ,]+/).filter(Boolean);
  return /holds no instrument$/.test(detail ?? '') ? [] : undefined;
}

/** /health's components as the desk's parts, grouped and ordered as PART_GROUPS then by name; unknown components go last as they are. */
export function deskParts(components: Record<string, ComponentHealth>): DeskPartRow[] {
  const rows = Object.entries(components).map(([component, c]): DeskPartRow => {
    const name = partName(component);
    const holds = heldInstruments(c.detail);
    return {
      name,
      group: groupOf(name) ?? 'API',
      state: stateOf(c),
      detail: c.detail ?? '',
      restarts: c.restarts ?? 0,
      ...(c.lastExit ? { lastExit: c.lastExit } : {}),
      ...(c.lastRestartAt ? { lastRestartAt: c.lastRestartAt } : {}),
      ...(c.role ? { role: c.role } : {}),
      ...(holds ? { holds } : {}),
    };
  });
  const rank = (r: DeskPartRow) => PART_GROUPS.indexOf(r.group);
  return rows.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/** The desk in one line: `ok`, or the parts that are not ok with their state (`alerts-2 down, feed starting`). */
export function deskLine(rows: readonly DeskPartRow[]): { ok: boolean; text: string } {
  const bad = rows.filter((r) => r.state !== 'ok');
  return bad.length === 0
    ? { ok: true, text: `all ${rows.length} parts ok` }
    : { ok: false, text: bad.map((r) => `${r.name} ${r.state}`).join(', ') };
}

/** A restart this recent is shown beside the part even once it is ok again: a part back within one poll would otherwise leave no trace but its count. */
const RECENT_RESTART_MS = 60_000;

/** Seconds since the part's last restart when within RECENT_RESTART_MS of `now`, else undefined. */
export function recentRestart(row: DeskPartRow, now: number): number | undefined {
  const at = row.lastRestartAt ? Date.parse(row.lastRestartAt) : NaN;
  if (Number.isNaN(at) || now - at > RECENT_RESTART_MS) return undefined;
  return Math.max(0, Math.round((now - at) / 1000));
}
