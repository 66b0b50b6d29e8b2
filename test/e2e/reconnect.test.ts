import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../support/browser.js';
import { attr, closeDashboard, desk, logIn, openDashboard, until } from './helpers.js';

/** The XMPP server's pid as the desk's supervisor last wrote it (desk.json). */
function xmppPid(): number {
  const state = JSON.parse(readFileSync(join(desk().home, 'desk.json'), 'utf8')) as {
    parts: Record<string, { pid?: number; restarts: number }>;
  };
  const pid = state.parts.xmpp?.pid;
  if (!pid) throw new Error('desk.json names no xmpp pid');
  return pid;
}

async function healthy(): Promise<boolean> {
  const res = await fetch(`${desk().baseUrl}/health`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
  return res?.ok ?? false;
}

describe('the dashboard across a crash of the XMPP server', () => {
  let s: BrowserSession;
  beforeAll(async () => {
    s = await openDashboard();
    await logIn(s.page, 'alice');
  });
  afterAll(async () => {
    await closeDashboard(s);
    // The files after this one find the whole desk again (engine, feed and recorder reconnected).
    await until(healthy, (ok) => ok, 'the desk healthy again', 120_000);
  });

  it('reconnects by itself once the supervisor has restarted the server, and prices move again', async () => {
    const { page } = s;
    const state = page.locator('[data-testid="connection-state"]');
    const row = page.locator('[data-testid="watch-row"][data-symbol="BTCUSDT"]');
    await expect.poll(() => attr(row, 'data-updated'), { timeout: 20_000 }).toMatch(/^[0-9]+$/);

    process.kill(xmppPid(), 'SIGKILL');
    await expect.poll(() => attr(state, 'data-state'), { timeout: 20_000, interval: 50 }).not.toBe('connected');
    await expect.poll(() => attr(state, 'data-state'), { timeout: 90_000 }).toBe('connected');
    // The session is new: the bars arrive again only if the dashboard subscribed again.
    const after = Number(await attr(row, 'data-updated'));
    await expect.poll(async () => Number(await attr(row, 'data-updated')), { timeout: 30_000 }).toBeGreaterThan(after);
  });
});
