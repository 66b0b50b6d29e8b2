import { get, readonly, writable } from 'svelte/store';
import { createDeskApi } from '../api/desk-api.js';
import { createHttp, type Fetch } from '../api/http.js';
import { createMarketApi } from '../api/market-api.js';
import type { Role } from '../api/rest-types.js';
import type { FrameScheduler } from '../frame-batcher.js';
import { alertsAccount } from '../xmpp/stanzas.js';
import type { OpenSession } from '../xmpp/xmpp-session.js';
import { createNotifier, type NotifierDeps } from './alert-notifier.js';
import { createAlerts, type Visibility } from './alerts.js';
import { createAudit } from './audit.js';
import { createAuditLive } from './audit-live.js';
import { createBarFeed } from './bar-feed.js';
import { createChart } from './chart.js';
import { createConnectionStore, type ConnectionDeps } from './connection.js';
import { createDeskHealth, HEALTH_POLL_LINE_MS, HEALTH_POLL_MS } from './desk-health.js';
import { createHopLatency } from './hop-latency.js';
import { createPresence } from './presence.js';
import { createPrices } from './prices.js';
import { createRules } from './rules.js';
import { createSession, type SessionUser } from './session.js';
import { createSilences } from './silences.js';
import { createSilenceApi } from '../api/silence-api.js';

export interface DeskDeps {
  fetch: Fetch;
  openSession: OpenSession;
  service: string;
  resource: ConnectionDeps['resource'];
  frames: FrameScheduler;
  visibility: Visibility;
  notifier: NotifierDeps;
  save: (blob: Blob, filename: string) => void;
  timers?: ConnectionDeps['timers'];
  random?: () => number;
  now?: () => number;
}

/** What each role may see on the desk view (services/api/src/routes: alerts and rules). */
export const can = (role: Role | undefined) => ({
  alerts: role === 'trader',
  rules: role === 'trader' || role === 'compliance' || role === 'admin',
  writeRules: role === 'trader' || role === 'admin',
  createRules: role === 'trader',
  compliance: role === 'compliance' || role === 'admin',
  /** The Desk panel (every part's state); everyone else gets the one-line desk state in the top bar. */
  deskParts: role === 'compliance' || role === 'admin',
});

/** Every store of the page, wired together; components get it from the context. */
export function createDesk(deps: DeskDeps) {
  const now = deps.now ?? Date.now;
  const http = createHttp({
    fetch: deps.fetch,
    auth: { token: () => session.token(), reauthenticate: (e) => session.reauthenticate(e) },
  });
  const market = createMarketApi(http);
  const api = createDeskApi(http);
  const connection = createConnectionStore({
    open: deps.openSession,
    service: deps.service,
    resource: deps.resource,
    ...(deps.timers ? { timers: deps.timers } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  });
  const session = createSession({ requestToken: (jid, password) => market.token(jid, password), connection });
  const domain = () => get(session.user)?.domain ?? '';
  const barFeed = createBarFeed({ connection });
  const prices = createPrices({ market, frames: deps.frames, now });
  const rules = createRules({ api });
  const silences = createSilences({ api: createSilenceApi(http), now });
  const chart = createChart({ market, frames: deps.frames, rules: rules.list, now });
  const notifier = createNotifier(deps.notifier);
  const alerts = createAlerts({
    connection,
    api,
    frames: deps.frames,
    visibility: deps.visibility,
    notifier,
    alertsJid: () => alertsAccount(domain()),
  });
  const timers = deps.timers ?? {
    set: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clear: (h: unknown) => clearTimeout(h as number),
  };
  const presence = createPresence({
    connection,
    api,
    now,
    ignore: () => [alertsAccount(domain())],
    domain,
    timers,
    visibility: deps.visibility,
  });
  const audit = createAudit({ api, save: deps.save, now });
  const auditLive = createAuditLive({ fetch: deps.fetch, token: () => session.token(), timers });
  // A live record changes an alert's lifecycle (or is a new alert's): read the view's page again, once per burst.
  let auditRefresh: unknown;
  auditLive.on('records', () => {
    timers.clear(auditRefresh);
    auditRefresh = timers.set(() => void audit.apply(), 250);
  });
  const latency = createHopLatency({ api, now });
  const health = createDeskHealth({ fetch: deps.fetch, timers, visibility: deps.visibility, now });
  const view = writable<'desk' | 'compliance'>('desk');
  const problems = writable<string[]>([]);

  barFeed.on('bar', (bar) => {
    prices.push(bar);
    chart.push(bar);
  });
  session.beforeLogout(() => barFeed.unsubscribeAll());
  // A firing changes its rule (a `once` rule is now triggered): read the rules again,
  // once per burst. Even for a rule not listed yet: the alert of a rule created a
  // moment ago can arrive before the form's create has come back.
  let refresh: unknown;
  alerts.on('arrived', () => {
    timers.clear(refresh);
    refresh = timers.set(() => void rules.load().catch(() => undefined), 500);
  });
  session.on('logged-out', () => {
    auditLive.clear();
    for (const s of [prices, chart, alerts, rules, presence, audit, latency]) s.clear();
    silences.clear();
    health.stop();
    view.set('desk');
    problems.set([]);
  });
  session.on('authenticated', ({ user, fresh }) => void load(user, fresh));

  async function load(user: SessionUser, fresh: boolean): Promise<void> {
    const allowed = can(user.role);
    health.watch(allowed.deskParts ? HEALTH_POLL_MS : HEALTH_POLL_LINE_MS);
    presence.watch(user.domain);
    const named = (what: string, p: Promise<unknown>) =>
      p.then(
        () => '',
        (err: unknown) => `${what}: ${String((err as Error)?.message ?? err)}`,
      );
    const results = await Promise.all([
      named(
        'instruments',
        prices.load().then((symbols) => {
          barFeed.follow(user.domain, symbols);
          const shown = get(chart.view);
          if (fresh || !shown.symbol) return symbols[0] ? chart.select(symbols[0]) : undefined;
          return shown.error ? chart.reload() : undefined;
        }),
      ),
      allowed.alerts ? named('alerts', alerts.load()) : '',
      allowed.rules ? named('rules', rules.load()) : '',
      allowed.rules ? named('silences', silences.load()) : '',
      named('presence', presence.load(user.domain)),
    ]);
    problems.set(results.filter((problem) => problem !== ''));
  }

  return {
    connection,
    session,
    prices,
    chart,
    alerts,
    notifier,
    rules,
    silences,
    presence,
    audit,
    auditLive,
    latency,
    health,
    view,
    problems: readonly(problems),
  };
}

export type Desk = ReturnType<typeof createDesk>;
