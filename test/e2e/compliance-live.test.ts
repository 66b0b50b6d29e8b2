import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import type { BrowserSession } from '../support/browser.js';
import type { PageElement } from '../support/page-dom.js';
import {
  attr,
  byTestId,
  closeDashboard,
  deleteRules,
  lastPrice,
  logIn,
  openDashboard,
  restAs,
  screenshot,
  until,
  type Rest,
} from './helpers.js';

const SYMBOL = 'ETHUSDT';
// The page's global, for the functions run in it below (in Chromium: see page-dom.ts).
declare const window: { liveMark?: number };

describe('compliance view, live', () => {
  let s: BrowserSession;
  let alice: Rest;
  beforeAll(async () => {
    alice = await restAs('alice');
    s = await openDashboard();
    await logIn(s.page, 'carol');
  });
  afterAll(async () => {
    await closeDashboard(s);
    if (alice) await deleteRules(alice);
  });

  it("shows a new alert's audit records and lifecycle as they are appended, without a reload", async () => {
    const { page } = s;
    await byTestId(page, 'nav-compliance').click();
    await expect.poll(() => attr(byTestId(page, 'audit-live-state'), 'data-state'), { timeout: 20_000 }).toBe('live');
    // A reload would drop this mark.
    await page.evaluate(() => (window.liveMark = 1));
    const threshold = new Decimal(await lastPrice(alice, SYMBOL)).mul('0.9').toDecimalPlaces(3).toFixed(3);
    const created = await alice.post<{ id: string }>('/v1/rules', {
      symbol: SYMBOL,
      condition: 'greater-than',
      threshold,
      frequency: 'once',
      priority: 'normal',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const alertId = (await until(
      async () =>
        (
          await alice.get<{ alerts?: Array<{ id: string; ruleId: string }> }>(`/v1/alerts?symbol=${SYMBOL}`)
        ).body.alerts?.find((a) => a.ruleId === created.body.id)?.id,
      (id) => id !== undefined,
      'the alert of the rule made over REST',
    ))!;
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
