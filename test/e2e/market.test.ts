import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import type { BrowserSession } from '../support/browser.js';
import type { PageElement } from '../support/page-dom.js';
import { attr, byTestId, closeDashboard, logIn, openDashboard, text } from './helpers.js';

const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;

describe('watchlist and chart', () => {
  let s: BrowserSession;
  beforeAll(async () => {
    s = await openDashboard();
    await logIn(s.page, 'alice');
  });
  afterAll(async () => {
    await closeDashboard(s);
  });

  it('lists every instrument with its last price as an exact decimal string, and the prices move', async () => {
    const { page } = s;
    const rows = byTestId(page, 'watch-row');
    await expect.poll(() => rows.count()).toBe(DEFAULT_INSTRUMENTS.length);
    const symbols = await rows.evaluateAll((els: PageElement[]) => els.map((e) => e.getAttribute('data-symbol')));
    expect(symbols.sort()).toEqual(DEFAULT_INSTRUMENTS.map((i) => i.symbol).sort());

    const row = page.locator('[data-testid="watch-row"][data-symbol="BTCUSDT"]');
    await expect.poll(() => text(byTestId(row, 'watch-last')), { timeout: 20_000 }).toMatch(DECIMAL);
    const first = await text(byTestId(row, 'watch-last'));
    const firstUpdate = Number(await attr(row, 'data-updated'));
    // The synthetic feed walks every instrument: within a few seconds the price changes.
    await expect.poll(() => text(byTestId(row, 'watch-last')), { timeout: 30_000 }).not.toBe(first);
    expect(await text(byTestId(row, 'watch-last'))).toMatch(DECIMAL);
    expect(Number(await attr(row, 'data-updated'))).toBeGreaterThan(firstUpdate);
    expect(await text(byTestId(row, 'watch-change'))).toMatch(/[0-9]/);
  });

  it('selecting an instrument backfills its chart; the interval buttons switch the series', async () => {
    const { page } = s;
    const row = page.locator('[data-testid="watch-row"][data-symbol="ETHUSDT"]');
    await row.click();
    await expect.poll(() => attr(row, 'data-selected')).toBe('true');
    const chart = byTestId(page, 'chart');
    await expect.poll(() => attr(chart, 'data-symbol')).toBe('ETHUSDT');
    await expect.poll(async () => Number(await attr(chart, 'data-candles')), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(Number(await attr(chart, 'data-first-paint-ms'))).toBeGreaterThanOrEqual(0);

    for (const interval of ['1s', '1m', '1h'] as const) {
      await byTestId(page, `interval-${interval}`).click();
      await expect.poll(() => attr(chart, 'data-interval')).toBe(interval);
      // The current bucket exists as soon as one tick of it is recorded.
      await expect.poll(async () => Number(await attr(chart, 'data-candles')), { timeout: 20_000 }).toBeGreaterThan(0);
      expect(Number(await attr(chart, 'data-last-time'))).toBeGreaterThan(Date.now() / 1000 - 2 * 3600);
    }

    // 1s candles keep coming: the last candle's time advances.
    await byTestId(page, 'interval-1s').click();
    await expect.poll(() => attr(chart, 'data-interval')).toBe('1s');
    const t0 = Number(await attr(chart, 'data-last-time'));
    await expect.poll(async () => Number(await attr(chart, 'data-last-time')), { timeout: 20_000 }).toBeGreaterThan(t0);
  });
});
