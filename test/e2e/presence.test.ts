import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../support/browser.js';
import { attr, byTestId, closeDashboard, jid, logIn, openDashboard, restAs, text } from './helpers.js';

describe('desk presence', () => {
  let alice: BrowserSession;
  let bob: BrowserSession;
  beforeAll(async () => {
    [alice, bob] = await Promise.all([openDashboard(), openDashboard()]);
    await logIn(alice.page, 'alice');
    await logIn(bob.page, 'bob');
  });
  afterAll(async () => {
    await Promise.all([closeDashboard(alice), closeDashboard(bob)]);
  });

  it("alice's busy status and text show in bob's browser, and her return to online too", async () => {
    const aliceInBob = bob.page.locator(`[data-testid="presence-row"][data-jid="${jid('alice')}"]`);
    await expect.poll(() => attr(aliceInBob, 'data-show'), { timeout: 20_000 }).toBe('online');
    // And bob in alice's browser: the traders are linked both ways.
    await expect
      .poll(() => attr(alice.page.locator(`[data-testid="presence-row"][data-jid="${jid('bob')}"]`), 'data-show'), {
        timeout: 20_000,
      })
      .toBe('online');

    const status = `In the risk meeting ${Date.now() % 10_000}`;
    await byTestId(alice.page, 'my-presence').selectOption('busy');
    await byTestId(alice.page, 'my-status-text').fill(status);
    await byTestId(alice.page, 'my-presence-apply').click();
    await expect.poll(() => attr(aliceInBob, 'data-show'), { timeout: 20_000 }).toBe('busy');
    await expect.poll(() => text(byTestId(aliceInBob, 'presence-status-text'))).toContain(status);
    expect(await text(byTestId(aliceInBob, 'presence-since'))).toMatch(/\S/);

    // The desk (the alert engine) routes by the same presence: busy is dnd over REST.
    const rest = await restAs('bob');
    await expect
      .poll(
        async () => {
          const res = await rest.get<{ traders: Array<{ trader: string; show: string; status?: string }> }>(
            '/v1/presence',
          );
          return res.body.traders.find((t) => t.trader === 'alice');
        },
        { timeout: 20_000 },
      )
      .toMatchObject({ show: 'dnd', status });

    await byTestId(alice.page, 'my-presence').selectOption('online');
    await byTestId(alice.page, 'my-status-text').fill('');
    await byTestId(alice.page, 'my-presence-apply').click();
    await expect.poll(() => attr(aliceInBob, 'data-show'), { timeout: 20_000 }).toBe('online');
  });

  it("alice's closed browser, without a logout, shows her offline in bob's browser", async () => {
    const aliceInBob = bob.page.locator(`[data-testid="presence-row"][data-jid="${jid('alice')}"]`);
    await expect.poll(() => attr(aliceInBob, 'data-show'), { timeout: 20_000 }).toBe('online');
    // The WebSocket ends with no </stream> (RFC 7395 §3.6): the server must still end the
    // session at once, not keep it for a resumption that never comes.
    const started = Date.now();
    await alice.close();
    await expect.poll(() => attr(aliceInBob, 'data-show'), { timeout: 20_000 }).toBe('offline');
    expect(Date.now() - started).toBeLessThan(15_000);
    alice = await openDashboard();
    await logIn(alice.page, 'alice');
    await expect.poll(() => attr(aliceInBob, 'data-show'), { timeout: 20_000 }).toBe('online');
  });

  it("alice's logout shows her offline in bob's browser", async () => {
    const aliceInBob = bob.page.locator(`[data-testid="presence-row"][data-jid="${jid('alice')}"]`);
    await byTestId(alice.page, 'logout').click();
    await expect.poll(() => attr(aliceInBob, 'data-show'), { timeout: 20_000 }).toBe('offline');
    // Bob can hear of it before alice's page has finished (her stream closed, the form back).
    await byTestId(alice.page, 'login-form').waitFor();
  });
});
