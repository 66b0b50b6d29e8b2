import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import type { Page } from 'playwright-core';
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
  text,
  type Rest,
} from './helpers.js';

const SYMBOL = 'BTCUSDT';

async function fillRule(page: Page, fields: Record<string, string>): Promise<void> {
  const form = byTestId(page, 'rule-form');
  // The condition first: it decides which parameter inputs the form shows.
  for (const [field, value] of Object.entries(fields)) {
    const input = byTestId(form, `rule-${field}`);
    const tag = await input.evaluate((el: PageElement) => el.tagName.toLowerCase());
    if (tag === 'select') await input.selectOption(value);
    else await input.fill(value);
  }
}

describe('rules and alerts', () => {
  let s: BrowserSession;
  let rest: Rest;
  beforeAll(async () => {
    rest = await restAs('alice');
    await deleteRules(rest);
    s = await openDashboard();
    await logIn(s.page, 'alice');
  });
  afterAll(async () => {
    await closeDashboard(s);
    if (rest) await deleteRules(rest);
  });

  it('a rule made with the form fires; the alert shows, is acknowledged, and its lifecycle records delivered, displayed and acknowledged', async () => {
    const { page } = s;
    await page.locator(`[data-testid="watch-row"][data-symbol="${SYMBOL}"]`).click();
    await byTestId(page, 'interval-1s').click();
    const rowsBefore = await byTestId(page, 'rule-row').count();
    const alertsBefore = await byTestId(page, 'alert-item').count();

    // 2 % under the last price: the next tick is above it, so the rule fires at once.
    const threshold = new Decimal(await lastPrice(rest, SYMBOL)).mul('0.98').toDecimalPlaces(2).toFixed(2);
    await fillRule(page, {
      symbol: SYMBOL,
      condition: 'greater-than',
      threshold,
      frequency: 'once',
      priority: 'normal',
    });
    await byTestId(page, 'rule-submit').click();
    await expect.poll(() => byTestId(page, 'rule-row').count()).toBe(rowsBefore + 1);

    const item = byTestId(page, 'alert-item').first();
    await expect.poll(() => byTestId(page, 'alert-item').count(), { timeout: 30_000 }).toBe(alertsBefore + 1);
    const id = await attr(item, 'data-alert-id');
    expect(id).toBeTruthy();
    expect(await text(byTestId(item, 'alert-symbol'))).toContain(SYMBOL);
    expect(await text(byTestId(item, 'alert-price'))).toMatch(/[0-9]/);
    expect(await attr(item, 'data-priority')).toBe('normal');
    expect(await attr(item, 'data-acknowledged')).toBe('false');
    await screenshot(page, 'desk');

    await byTestId(item, 'alert-ack').click();
    await expect.poll(() => attr(item, 'data-acknowledged')).toBe('true');
    expect(await byTestId(item, 'alert-ack').isDisabled()).toBe(true);

    // The REST API reads the same lifecycle the engine appended to the audit chain.
    await expect
      .poll(
        async () => {
          const res = await rest.get<{ lifecycle: Array<{ event: string }> }>(`/v1/alerts/${id}`);
          return res.status === 200 ? res.body.lifecycle.map((step) => step.event) : [];
        },
        { timeout: 20_000 },
      )
      .toEqual(expect.arrayContaining(['fired', 'sent', 'delivered', 'displayed', 'acknowledged']));
    const alert = (
      await rest.get<{ ruleId: string; symbol: string; condition: string; threshold: string; owner: string }>(
        `/v1/alerts/${id}`,
      )
    ).body;
    expect(alert).toMatchObject({ symbol: SYMBOL, condition: 'greater-than', owner: 'alice' });
    expect(new Decimal(alert.threshold).eq(threshold), `${alert.threshold} = ${threshold}`).toBe(true); // the server keeps canonical decimals
    // A once rule that fired is no longer active, in the list as on the server.
    await expect
      .poll(() => attr(page.locator(`[data-testid="rule-row"][data-rule-id="${alert.ruleId}"]`), 'data-state'), {
        timeout: 10_000,
      })
      .not.toBe('active');
  });

  it("an active rule on the chart's instrument draws its threshold line; pause, resume and delete work from the list", async () => {
    const { page } = s;
    const chart = byTestId(page, 'chart');
    await expect.poll(() => attr(chart, 'data-symbol')).toBe(SYMBOL);
    // The lines the chart should draw: one per listed rule on its instrument that is active or paused.
    const symbolOf = async () =>
      new Map(
        (await rest.get<{ rules: Array<{ id: string; symbol: string }> }>('/v1/rules')).body.rules.map((r) => [
          r.id,
          r.symbol,
        ]),
      );
    const drawnAndListed = async () => {
      const symbols = await symbolOf();
      const rows = await byTestId(page, 'rule-row').evaluateAll((els: PageElement[]) =>
        els.map((e) => ({ id: e.getAttribute('data-rule-id'), state: e.getAttribute('data-state') })),
      );
      const listed = rows.filter(
        (r) => symbols.get(r.id ?? '') === SYMBOL && (r.state === 'active' || r.state === 'paused'),
      ).length;
      return { drawn: Number(await attr(chart, 'data-price-lines')), listed };
    };
    const rowsBefore = await byTestId(page, 'rule-row').count();
    // Far under the price: it stays active.
    const threshold = new Decimal(await lastPrice(rest, SYMBOL)).mul('0.5').toDecimalPlaces(2).toFixed(2);
    await fillRule(page, {
      symbol: SYMBOL,
      condition: 'less-than',
      threshold,
      frequency: 'once',
      priority: 'critical',
    });
    await byTestId(page, 'rule-submit').click();
    await expect.poll(() => byTestId(page, 'rule-row').count()).toBe(rowsBefore + 1);

    const rules = (await rest.get<{ rules: Array<{ id: string; condition: string; status: string }> }>('/v1/rules'))
      .body.rules;
    const created = rules.find((r) => r.condition === 'less-than');
    expect(created).toMatchObject({ status: 'active' });
    const row = page.locator(`[data-testid="rule-row"][data-rule-id="${created!.id}"]`);
    expect(await attr(row, 'data-state')).toBe('active');
    await expect
      .poll(async () => {
        const { drawn, listed } = await drawnAndListed();
        return drawn === listed ? drawn : -1;
      })
      .toBeGreaterThanOrEqual(1);

    await byTestId(row, 'rule-pause').click();
    await expect.poll(() => attr(row, 'data-state')).toBe('paused');
    await byTestId(row, 'rule-resume').click();
    await expect.poll(() => attr(row, 'data-state')).toBe('active');
    const { drawn } = await drawnAndListed();
    await byTestId(row, 'rule-delete').click();
    await expect.poll(() => row.count()).toBe(0);
    await expect.poll(async () => (await rest.get(`/v1/rules/${created!.id}`)).status).toBe(404);
    await expect.poll(async () => Number(await attr(chart, 'data-price-lines'))).toBe(drawn - 1);
  });

  it('a rule the server refuses shows the error at its field and keeps what was typed', async () => {
    const { page } = s;
    const rowsBefore = await byTestId(page, 'rule-row').count();
    await fillRule(page, {
      symbol: 'ETHUSDT',
      condition: 'entering-channel',
      lower: '3500',
      upper: '3400',
      frequency: 'once',
      priority: 'normal',
    });
    await byTestId(page, 'rule-submit').click();
    const error = byTestId(page, 'rule-error-lower');
    await expect.poll(() => error.isVisible()).toBe(true);
    expect(await text(error)).toMatch(/upper|greater/i);
    const form = byTestId(page, 'rule-form');
    expect(await byTestId(form, 'rule-lower').inputValue()).toBe('3500');
    expect(await byTestId(form, 'rule-upper').inputValue()).toBe('3400');
    expect(await byTestId(form, 'rule-condition').inputValue()).toBe('entering-channel');
    expect(await byTestId(form, 'rule-symbol').inputValue()).toBe('ETHUSDT');
    expect(await byTestId(page, 'rule-row').count()).toBe(rowsBefore);
    await screenshot(page, 'rules-error');
  });
});
