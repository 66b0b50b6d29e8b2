import { describe, expect, it } from 'vitest';
import type { PageElement } from '../support/page-dom.js';
import { alertOfRule, attr, byTestId, ruleAtPrice, screenshot, useDashboard } from './helpers.js';

const SYMBOL = 'ETHUSDT';
// The page's global, for the functions run in it below (in Chromium: see page-dom.ts).
declare const window: { liveMark?: number };

describe('compliance view, live', () => {
  // carol (compliance) watches; alice's rules are deleted after the file.
  const carol = useDashboard('carol', { owner: 'alice' });

  it("shows a new alert's audit records and lifecycle as they are appended, without a reload", async () => {
    const { page } = carol;
    const alice = carol.rest;
    await byTestId(page, 'nav-compliance').click();
    await expect.poll(() => attr(byTestId(page, 'audit-live-state'), 'data-state'), { timeout: 20_000 }).toBe('live');
    // A reload would drop this mark.
    await page.evaluate(() => (window.liveMark = 1));
    const ruleId = await ruleAtPrice(alice, SYMBOL, '0.9', {}, 3);
    const alertId = await alertOfRule(alice, SYMBOL, ruleId);
    const records = page.locator(`[data-testid="audit-live-record"][data-alert-id="${alertId}"]`);
    const events = () => records.evaluateAll((els: PageElement[]) => els.map((e) => e.getAttribute('data-event')));
    await expect.poll(events, { timeout: 20_000 }).toEqual(expect.arrayContaining(['fired', 'sent']));
    // Newest first, each seq once.
    const seqs = (
      await records.evaluateAll((els: PageElement[]) => els.map((e) => Number(e.getAttribute('data-seq'))))
    ).reverse();
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    const row = page.locator(`[data-testid="lifecycle-row"][data-alert-id="${alertId}"]`);
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    expect(await page.evaluate(() => window.liveMark)).toBe(1);
    await screenshot(page, 'compliance-live');
  });
});
