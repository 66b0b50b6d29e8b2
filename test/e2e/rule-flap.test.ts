import { describe, expect, it } from 'vitest';
import type { Rule } from '@tickdesk/schemas';
import { attr, byTestId, ruleAtPrice, screenshot, text, useDashboard } from './helpers.js';

const SYMBOL = 'ETHUSDT';

describe('flap control in the dashboard', () => {
  const bob = useDashboard('bob', { later: true });

  it('a rule that paused itself at its firing limit is shown as limited, with why, in the rules list', async () => {
    // Half the last price: every 1 s bar is above it, so the rule fires once a second until its limit.
    const ruleId = await ruleAtPrice(bob.rest, SYMBOL, '0.5', {
      frequency: 'once-per-bar',
      interval: '1s',
      maxFirings: 2,
    });
    await expect
      .poll(async () => (await bob.rest.get<Rule>(`/v1/rules/${ruleId}`)).body.status, { timeout: 30_000 })
      .toBe('paused');
    const stored = (await bob.rest.get<Rule>(`/v1/rules/${ruleId}`)).body;
    expect(stored).toMatchObject({ pausedReason: 'firing-limit', firings: 2, limited: { reason: 'firing-limit' } });

    const page = await bob.open();
    const row = page.locator(`[data-testid="rule-row"][data-rule-id="${ruleId}"]`);
    await expect.poll(() => attr(row, 'data-state'), { timeout: 20_000 }).toBe('paused');
    const line = byTestId(row, 'rule-flap-line').first();
    expect(await attr(line, 'data-kind')).toBe('limited');
    expect(await attr(line, 'data-reason')).toBe('firing-limit');
    expect(await text(line)).toMatch(/^Paused itself at \d{2}:\d{2}:\d{2}\.\d{3} UTC after 2 firings, its limit\./);
    expect(await byTestId(row, 'rule-resume').count()).toBe(1);
    await screenshot(page, 'rule-limited');
  });
});
