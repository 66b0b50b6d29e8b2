import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, inject } from 'vitest';
import { Decimal } from 'decimal.js';
import type { Locator, Page } from 'playwright-core';
import { openBrowser, type BrowserSession } from '../support/browser.js';
import { readState, type E2ePorts, type E2eSetup } from './e2e-desk.js';

export interface E2eAccount {
  user: string;
  password: string;
  role: string;
}

export interface E2eDesk extends E2eSetup {
  /** The API's origin: the dashboard at `/`, REST at `/v1`, XMPP over WebSocket at `/xmpp-websocket`. */
  baseUrl: string;
  domain: string;
  credentialsPath: string;
  /** Every account of the desk's credentials file by user name (alice, bob: traders; carol: compliance; ana: analyst; admin…). */
  accounts: Record<string, E2eAccount>;
  ports: E2ePorts;
}

let known: E2eDesk | undefined;

/** The project's running desk (desk-ready.ts has started it or found it before the file's tests). */
export function desk(): E2eDesk {
  if (known) return known;
  const setup = inject('e2e');
  const state = readState(setup.home);
  if (!state || 'failed' in state)
    throw new Error('the e2e desk is not running: test/e2e/desk-ready.ts starts it before each file');
  const credentialsPath = join(setup.home, 'credentials.json');
  const { domain, accounts } = JSON.parse(readFileSync(credentialsPath, 'utf8')) as {
    domain: string;
    accounts: Record<string, E2eAccount>;
  };
  return (known = { ...setup, baseUrl: state.baseUrl, ports: state.ports, domain, credentialsPath, accounts });
}
export const jid = (user: string) => `${user}@${desk().domain}`;
const password = (user: string) => {
  const a = desk().accounts[user];
  if (!a) throw new Error(`no account ${user} in the desk's credentials`);
  return a.password;
};

/** The page's element with `data-testid` = id (the dashboard's DOM contract). */
export const byTestId = (scope: Page | Locator, id: string) => scope.locator(`[data-testid="${id}"]`);

// Every run saves its screenshots under test/artifacts (not tracked); with
// TICKDESK_E2E_DOC_SCREENSHOTS=1 it refreshes the README's, in docs/screenshots.
const SCREENSHOTS = fileURLToPath(
  new URL(
    process.env.TICKDESK_E2E_DOC_SCREENSHOTS === '1' ? '../../docs/screenshots/' : '../artifacts/screenshots/',
    import.meta.url,
  ),
);

/** Save <name>.png of the page (the README shows desk.png). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), animations: 'disabled' });
}

/** A fresh Chromium on the dashboard's login view. */
export async function openDashboard(): Promise<BrowserSession> {
  const session = await openBrowser();
  session.page.setDefaultTimeout(20_000);
  // A confirm() (delete a rule…) is answered yes, as the person at the desk would.
  session.page.on('dialog', (d) => void d.accept().catch(() => undefined));
  try {
    await session.page.goto(desk().baseUrl + '/');
    await byTestId(session.page, 'login-form').waitFor();
  } catch (err) {
    await session.close();
    throw err;
  }
  return session;
}

/**
 * Log out first when logged in (a clean end of the XMPP stream: a session left to
 * stream-management hibernation would keep the user online for minutes), then close.
 */
export async function closeDashboard(session: BrowserSession | undefined): Promise<void> {
  if (!session) return;
  try {
    const logout = byTestId(session.page, 'logout');
    if (await logout.isVisible()) {
      // A logout already under way removes the button: a click would wait the page's 20 s for it.
      await logout.click({ timeout: 2_000 });
      await byTestId(session.page, 'login-form').waitFor({ timeout: 5_000 });
    }
  } catch {
    // closing anyway
  } finally {
    await session.close();
  }
}

export async function fillLogin(page: Page, user: string, pass: string): Promise<void> {
  await byTestId(page, 'login-jid').fill(jid(user));
  await byTestId(page, 'login-password').fill(pass);
  await byTestId(page, 'login-submit').click();
}

/** Log in through the form and wait until the dashboard's XMPP session is connected. */
export async function logIn(page: Page, user: string): Promise<void> {
  await fillLogin(page, user, password(user));
  await page.locator('[data-testid="connection-state"][data-state="connected"]').waitFor({ timeout: 30_000 });
}

/** Poll `read` until `done` holds of its value (hooks cannot use expect.poll). */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** An attribute, or undefined while the element is absent (for expect.poll). */
export async function attr(locator: Locator, name: string): Promise<string | undefined> {
  if ((await locator.count()) === 0) return undefined;
  return (
    (await locator
      .first()
      .getAttribute(name, { timeout: 2_000 })
      .catch(() => null)) ?? undefined
  );
}

export async function text(locator: Locator): Promise<string | undefined> {
  if ((await locator.count()) === 0) return undefined;
  return (
    (
      await locator
        .first()
        .textContent({ timeout: 2_000 })
        .catch(() => null)
    )?.trim() ?? undefined
  );
}

/** The REST API as `user`, with a bearer token from POST /v1/auth/token. */
export async function restAs(user: string) {
  const res = await fetch(`${desk().baseUrl}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jid: jid(user), password: password(user) }),
  });
  if (res.status !== 200) throw new Error(`login as ${user}: ${res.status} ${await res.text()}`);
  const { token } = (await res.json()) as { token: string };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const r = await fetch(`${desk().baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const raw = await r.text();
    let parsed: unknown = raw;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // not JSON (CSV, JSON lines)
    }
    return { status: r.status, body: parsed as T };
  };
  return {
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
    del: (path: string) => call<unknown>('DELETE', path),
  };
}

export type Rest = Awaited<ReturnType<typeof restAs>>;

/** The instrument's last recorded price (a decimal string) over REST. */
export async function lastPrice(rest: Rest, symbol: string): Promise<string> {
  const res = await rest.get<{ price: string }>(`/v1/instruments/${symbol}/last`);
  if (res.status !== 200) throw new Error(`last price of ${symbol}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.price;
}

/** Remove every rule `user` owns (tests leave the desk as they found it). */
export async function deleteRules(rest: Rest): Promise<void> {
  const res = await rest.get<{ rules: Array<{ id: string }> }>('/v1/rules');
  for (const r of res.body.rules ?? []) await rest.del(`/v1/rules/${r.id}`);
}

/**
 * A rule of the REST caller's on `symbol`, `greater-than` `factor` × its last price (to
 * `decimals` places), `once`, `normal`, unless `more` says otherwise; its id, or the test
 * fails with the refusal. Under the price (0.9) it fires on the next tick; far above it
 * (10) never during a test.
 */
export async function ruleAtPrice(
  rest: Rest,
  symbol: string,
  factor: string | number,
  more: Record<string, unknown> = {},
  decimals = 2,
): Promise<string> {
  const price = new Decimal(await lastPrice(rest, symbol)).mul(factor);
  const created = await rest.post<{ id: string }>('/v1/rules', {
    symbol,
    condition: 'greater-than',
    threshold: price.toDecimalPlaces(decimals).toFixed(decimals),
    frequency: 'once',
    priority: 'normal',
    ...more,
  });
  if (created.status !== 201) throw new Error(`rule refused: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.id;
}

/** The id of the first alert of `ruleId` (on `symbol`) over REST, once there is one. */
export async function alertOfRule(rest: Rest, symbol: string, ruleId: string): Promise<string> {
  const id = await until(
    async () =>
      (
        await rest.get<{ alerts?: Array<{ id: string; ruleId: string }> }>(`/v1/alerts?symbol=${symbol}`)
      ).body.alerts?.find((a) => a.ruleId === ruleId)?.id,
    (found) => found !== undefined,
    `the alert of rule ${ruleId}`,
  );
  return id!;
}

/**
 * The file's desk session: the REST API as `owner` (the viewer unless named), whose rules
 * are deleted after the file's tests (and before them with `clean`), and a dashboard logged
 * in as `viewer`, opened before the tests or, with `later`, at the test's `open()`.
 */
export function useDashboard(viewer: string, opts: { owner?: string; clean?: boolean; later?: boolean } = {}) {
  let rest: Rest | undefined;
  let session: BrowserSession | undefined;
  const open = async (): Promise<Page> => {
    if (!session) {
      session = await openDashboard();
      await logIn(session.page, viewer);
    }
    return session.page;
  };
  beforeAll(async () => {
    rest = await restAs(opts.owner ?? viewer);
    if (opts.clean) await deleteRules(rest);
    if (!opts.later) await open();
  });
  afterAll(async () => {
    await closeDashboard(session);
    if (rest) await deleteRules(rest);
  });
  return {
    open,
    /** The dashboard's page (opened). */
    get page(): Page {
      if (!session) throw new Error('the dashboard is not open yet');
      return session.page;
    },
    get rest(): Rest {
      if (!rest) throw new Error('the REST session starts in beforeAll: use it inside tests and hooks');
      return rest;
    },
  };
}
