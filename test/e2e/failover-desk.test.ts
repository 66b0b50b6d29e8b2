import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startClusterDesk, type ClusterDesk } from '../cluster/cluster-desk.js';
import { health, restAs, runTickdesk, traderOn, type ClusterTrader } from '../cluster/desk-watchers.js';
import { openBrowser, type BrowserSession } from '../support/browser.js';
import type { PageDocument, PageMutationObserver } from '../support/page-dom.js';
import { byTestId, screenshot } from './helpers.js';

/**
 * The fail-over desk as a newcomer starts it: `tickdesk up` from the build with the one
 * setting TICKDESK_FAILOVER=1 (its own folder and free ports, not the e2e project's desk).
 * Carol (compliance) watches the Desk parts panel while an alert engine and the feed are
 * killed with SIGKILL; `tickdesk status` names the same parts; an alert whose instrument the
 * killed engine held, fired during the kill, reaches alice. Then the Redis primary is killed:
 * the panel and `status` show the replica promoted and the desk whole again.
 */

/** How soon the panel must show a killed part as not ok: the panel's 3 s poll plus the API's probe (≤ 1.5 s) and slack for a busy machine. */
const SHOWN_WITHIN_MS = 10_000;
/** How soon the killed parts must be ok again on the panel: restart, XMPP session, leases (TTL 3 s). */
const WHOLE_WITHIN_MS = 40_000;

let desk: ClusterDesk;
let browser: BrowserSession | undefined;
let alice: ClusterTrader | undefined;
let page: Page;

// The page's globals, for the functions run in it below (in Chromium: see page-dom.ts).
declare const window: unknown;
declare const document: PageDocument;
declare const MutationObserver: PageMutationObserver;

/** `tickdesk status` as an operator runs it: the desk's folder is all it needs. */
const tickdeskStatus = async (home: string): Promise<string> =>
  (await runTickdesk(home, ['status'], { TICKDESK_FAILOVER: '1' }, 15_000)).out;

/** The panel's rows as the page shows them: part → state. */
async function panel(): Promise<Record<string, string>> {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('[data-testid="desk-part"]')].map((r) => [r.dataset.part!, r.dataset.state!]),
    ),
  );
}

/** Every state each row has shown since the watch began, with its restarts (`down:0`, `ok:1`): a part back within one 3 s poll shows only as a restart. */
async function watchPanel(): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<string, string[]> = {};
    const w = window as { __seen: Record<string, string[]> };
    w.__seen = seen;
    const record = () => {
      for (const r of document.querySelectorAll('[data-testid="desk-part"]')) {
        const list = (seen[r.dataset.part!] ??= []);
        const now = `${r.dataset.state}:${r.dataset.restarts}`;
        if (list.at(-1) !== now) list.push(now);
      }
    };
    record();
    new MutationObserver(record).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-state'],
    });
  });
}
const seen = (): Promise<Record<string, string[]>> =>
  page.evaluate(() => (window as { __seen: Record<string, string[]> }).__seen);

function until<T, S extends T>(
  read: () => Promise<T>,
  done: (v: T) => v is S,
  what: string,
  timeoutMs: number,
): Promise<S>;
function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs: number): Promise<T>;
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('the fail-over desk (TICKDESK_FAILOVER=1)', () => {
  beforeAll(async () => {
    const xmppServer = inject('e2e').xmppServer;
    // Redis in Sentinel mode is the preset's too; the helper needs it to choose the replica's and sentinels' ports.
    desk = await startClusterDesk({
      nodes: 1,
      xmppServer,
      redisMode: 'sentinel',
      keepOnFailure: true,
      // The sentinels call a silent primary down after 2 s (default 5 s), to keep the file short.
      env: {
        TICKDESK_FAILOVER: '1',
        TICKDESK_FEED_RATE: '40',
        TICKDESK_LOG_LEVEL: 'warn',
        TICKDESK_API_LOGIN_RATE_MAX: '1000',
        TICKDESK_REDIS_DOWN_AFTER_MS: '2000',
      },
    });
    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(20_000);
    alice = await traderOn(desk, 'alice', 0);
  });
  // A failed case keeps the desk's folder (logs, desk.json) for the report.
  let failed = false;
  afterEach(({ task }) => {
    if (task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    await alice?.client.stop().catch(() => undefined);
    await browser?.close();
    await desk?.stop(failed);
  });

  it('starts every part the one setting names, and up says what it runs', () => {
    const parts = Object.keys(desk.state().parts);
    expect(parts).toEqual(
      expect.arrayContaining([
        'redis',
        'redis-replica',
        'sentinel-1',
        'sentinel-2',
        'sentinel-3',
        'xmpp',
        'alerts',
        'alerts-2',
        'feed',
        'feed-standby',
        'recorder',
        'api',
      ]),
    );
    expect(readFileSync(join(desk.home, 'up.log'), 'utf8')).toMatch(
      /TICKDESK_FAILOVER=1: Redis with a replica and three sentinels, 2 alert engines, a feed and its standby/,
    );
  });

  it('shows a kill -9 of an alert engine and of the feed on the panel and in `tickdesk status`; an alert fired meanwhile reaches the trader', async () => {
    await page.goto(`${desk.apiUrl}/`);
    await byTestId(page, 'login-jid').fill('carol@desk.localhost');
    await byTestId(page, 'login-password').fill(desk.credentials().accounts.carol!.password);
    await byTestId(page, 'login-submit').click();
    await byTestId(page, 'desk-parts').waitFor();
    const whole = await until(
      panel,
      (p) => Object.keys(p).length >= 12 && Object.values(p).every((s) => s === 'ok'),
      'every part ok on the panel',
      30_000,
    );
    expect(Object.keys(whole)).toEqual(
      expect.arrayContaining([
        'xmpp',
        'redis',
        'redis-replica',
        'sentinel-1',
        'alerts',
        'alerts-2',
        'feed',
        'feed-standby',
        'recorder',
        'api',
      ]),
    );
    expect(await page.locator('[data-testid="desk-part"][data-role="primary"]').getAttribute('data-part')).toBe(
      'redis',
    );

    // The instruments the second engine holds, as /health reports them.
    const detail = await until(
      async () => (await health(desk)).components['engine-2']?.detail ?? '',
      (d) => /^slot \d+: [A-Z]/.test(d),
      'alerts-2 holding an instrument',
      20_000,
    );
    const symbol = detail.replace(/^slot \d+: /, '').split(' ')[0]!;
    // Whole means steady: no part flapping (two processes on one XMPP resource replace each other's session every few seconds).
    await watchPanel();
    await new Promise((r) => setTimeout(r, 6_000));
    expect(Object.entries(await seen()).filter(([, states]) => states.some((x) => x !== 'ok:0'))).toEqual([]);
    expect(
      Object.entries(desk.state().parts)
        .filter(([, p]) => p.restarts > 0)
        .map(([name, p]) => `${name} ${p.lastExit}`),
    ).toEqual([]);
    const before = desk.state().parts;
    await watchPanel();
    const killedAt = Date.now();
    process.kill(before['alerts-2']!.pid, 'SIGKILL');
    process.kill(before.feed!.pid, 'SIGKILL');
    // Fires on the instrument's next tick: the one the killed engine held, so the surviving engine must take it over.
    const rest = await restAs(desk, 'alice');
    const made = await rest('POST', '/v1/rules', {
      symbol,
      condition: 'greater-than',
      threshold: '0.01',
      frequency: 'once',
      priority: 'normal',
    });
    expect(made.status).toBe(201);
    const rule = ((await made.json()) as { id: string }).id;

    // Shown down (or starting, degraded), or, when back within one poll, ok with the restart counted and marked recent.
    const shown = (states: string[] | undefined) => (states ?? []).some((x) => x !== 'ok:0');
    await until(seen, (s) => shown(s['alerts-2']) && shown(s.feed), 'alerts-2 and feed shown killed', SHOWN_WITHIN_MS);
    const shownAfterMs = Date.now() - killedAt;
    await screenshot(page, 'failover-desk-kill');
    const status = await tickdeskStatus(desk.home);
    // `restarts 1` as a rule; on a loaded machine a restarted part once exited again at start (printed below with desk.log when it happens).
    expect(status).toMatch(/^ {2}alerts-2 .*restarts \d+, last exit /m);
    expect(status).toMatch(/^ {2}feed {6}.*restarts \d+, last exit /m);
    expect(readFileSync(join(desk.home, 'logs', 'desk.log'), 'utf8')).toMatch(
      /alerts-2 exited \(SIGKILL\)[^]*feed exited \(SIGKILL\)|feed exited \(SIGKILL\)[^]*alerts-2 exited \(SIGKILL\)/,
    );
    expect(status).toMatch(/redis primary: redis \(/);

    const alert = await until(
      async () => alice!.received.find((a) => a.rule === rule),
      (a) => a !== undefined,
      `alice's alert on ${symbol}`,
      WHOLE_WITHIN_MS,
    );
    expect(alert.at).toBeGreaterThan(killedAt);
    await until(
      panel,
      (p) => p['alerts-2'] === 'ok' && p.feed === 'ok',
      'alerts-2 and feed ok again on the panel',
      WHOLE_WITHIN_MS,
    );
    const wholeAfterMs = Date.now() - killedAt;
    for (const part of ['alerts-2', 'feed']) {
      const row = page.locator(`[data-testid="desk-part"][data-part="${part}"]`);
      expect(Number(await row.getAttribute('data-restarts'))).toBeGreaterThanOrEqual(1);
      expect(await row.getAttribute('data-recent-restart')).toBe('true');
      expect(await row.textContent()).toMatch(/↻ \d+ · \S+ \d+ s ago/);
    }
    if (
      !/^ {2}alerts-2 .*restarts 1, last exit SIGKILL/m.test(status) ||
      !/^ {2}feed {6}.*restarts 1, last exit SIGKILL/m.test(status)
    )
      process.stdout.write(
        `fail-over desk: a killed part restarted more than once:\n${status}\n${readFileSync(join(desk.home, 'logs', 'desk.log'), 'utf8')}\n`,
      );
    await screenshot(page, 'failover-desk-whole');
    process.stdout.write(
      `fail-over desk: kill shown on the panel after ${shownAfterMs} ms (${JSON.stringify(await seen())}); alert ${alert.id} on ${symbol} ${alert.at - killedAt} ms after the kill; panel ok again after ${wholeAfterMs} ms\n`,
    );
    await rest('DELETE', `/v1/rules/${rule}`);
  });

  it("shows a kill -9 of the Redis primary, the sentinels' fail-over to the replica, and the desk whole again", async () => {
    const primary = () =>
      page.evaluate(() => document.querySelector('[data-testid="desk-part"][data-role="primary"]')?.dataset.part);
    await until(panel, (p) => Object.values(p).every((s) => s === 'ok'), 'every part ok on the panel', 30_000);
    expect(await primary()).toBe('redis');
    await watchPanel();
    const killedAt = Date.now();
    process.kill(desk.state().parts.redis!.pid, 'SIGKILL');
    await until(seen, (s) => (s.redis ?? []).some((x) => x !== 'ok:0'), 'redis shown killed', SHOWN_WITHIN_MS);
    await until(primary, (p) => p === 'redis-replica', 'redis-replica shown as the primary', WHOLE_WITHIN_MS);
    const promotedAfterMs = Date.now() - killedAt;
    await until(
      panel,
      (p) => Object.values(p).every((s) => s === 'ok'),
      'every part ok after the fail-over',
      WHOLE_WITHIN_MS,
    );
    const wholeAfterMs = Date.now() - killedAt;
    const status = await tickdeskStatus(desk.home);
    expect(status).toMatch(/redis primary: redis-replica \(127\.0\.0\.1:\d+\), named by 3 of 3 sentinels/);
    expect(status).toMatch(/^ {2}redis {5}.*restarts 1, last exit SIGKILL/m);
    await screenshot(page, 'failover-desk-redis');
    process.stdout.write(
      `fail-over desk: Redis primary killed, redis-replica primary on the panel after ${promotedAfterMs} ms, every part ok after ${wholeAfterMs} ms (${JSON.stringify(await seen())})\n`,
    );
  });
});
