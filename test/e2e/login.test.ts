import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../support/browser.js';
import { attr, byTestId, closeDashboard, fillLogin, jid, logIn, openDashboard, screenshot, text } from './helpers.js';

describe('login', () => {
  let s: BrowserSession;
  beforeAll(async () => {
    s = await openDashboard();
  });
  afterAll(async () => {
    await closeDashboard(s);
  });

  it('refuses a wrong password with a message and keeps the typed JID', async () => {
    const { page } = s;
    await byTestId(page, 'login-jid').fill(jid('alice'));
    await screenshot(page, 'login');
    await fillLogin(page, 'alice', 'not-the-password');
    await expect.poll(() => byTestId(page, 'login-error').isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await text(byTestId(page, 'login-error'))).toMatch(/\S/);
    expect(await byTestId(page, 'login-jid').inputValue()).toBe(jid('alice'));
  });

  it('logs in as alice: connected, who am I, no compliance view for a trader', async () => {
    const { page } = s;
    await logIn(page, 'alice');
    expect(await text(byTestId(page, 'whoami'))).toContain(jid('alice'));
    expect(await text(byTestId(page, 'whoami'))).toMatch(/trader/i);
    expect(await attr(byTestId(page, 'connection-state'), 'data-state')).toBe('connected');
    expect(await byTestId(page, 'nav-compliance').count()).toBe(0);
    expect(await byTestId(page, 'login-form').count()).toBe(0);
  });

  it('logs out back to the login view', async () => {
    const { page } = s;
    await byTestId(page, 'logout').click();
    await expect.poll(() => byTestId(page, 'login-form').isVisible()).toBe(true);
  });
});
