import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import type { Rule } from '@tickdesk/schemas';
import type { BrowserSession } from '../support/browser.js';
import {
  attr,
  byTestId,
  closeDashboard,
  lastPrice,
  logIn,
  openDashboard,
  restAs,
  screenshot,
  text,
  type Rest,
} from './helpers.js';

const SYMBOL = 'ETHUSDT';

describe('flap control in the dashboard', () => {
  let s: BrowserSession | undefined;
  let bob: Rest;
  let ruleId = '';
  beforeAll(async () => {
    bob = await restAs('bob');
  });
  afterAll(async () => {
    await closeDashboard(s);
    if (ruleId) await bob.del(`/v1/rules/${ruleId}`);
  });

  it('a rule that paused itself at its firing limit is shown as limited, with why, in the rules list', async () => {
    // Half the last price: every 1 s bar is above it, so the rule fires once a second until its limit.
    const threshold = new Decimal(await lastPrice(bob, SYMBOL)).mul('0.5').toDecimalPlaces(2).toFixed(2);
    const created = await bob.post<Rule>('/v1/rules', {
      symbol: SYMBOL,
      condition: 'greater-than',
      threshold,
      frequency: 'once-per-bar',
      interval: '1s',
      maxFirings: 2,
      priority: 'normal',
    });
    expect(created.status).toBe(201);
    ruleId = created.body.id;
    await expect
      .poll(async () => (await bob.get<Rule>(`/v1/rules/${ruleId}`)).body.status, { timeout: 30_000 })
      .toBe('paused');
    const stored = (await bob.get<Rule>(`/v1/rules/${ruleId}`)).body;
    expect(stored).toMatchObject({ pausedReason: 'firing-limit', firings: 2, limited: { reason: 'firing-limit' } });

    s = await openDashboard();
    await logIn(s.page, 'bob');
    const row = s.page.locator(`[data-testid="rule-row"][data-rule-id="${ruleId}"]`);
    await expect.poll(() => attr(row, 'data-state'), { timeout: 20_000 }).toBe('paused');
    const line = byTestId(row, 'rule-flap-line').first();
    expect(await attr(line, 'data-kind')).toBe('limited');
    expect(await attr(line, 'data-reason')).toBe('firing-limit');
    expect(await text(line)).toMatch(/^Paused itself at \d{2}:\d{2}:\d{2}\.\d{3} UTC after 2 firings, its limit\./);
    expect(await byTestId(row, 'rule-resume').count()).toBe(1);
    await screenshot(s.page, 'rule-limited');
  });
});
