import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuleInput, type Rule } from '@tickdesk/schemas';
import type { BrowserSession } from '../support/browser.js';
import {
  byTestId,
  closeDashboard,
  deleteRules,
  logIn,
  openDashboard,
  restAs,
  screenshot,
  text,
  type Rest,
} from './helpers.js';

const rulesOf = async (rest: Rest) => (await rest.get<{ rules: Rule[] }>('/v1/rules')).body.rules;
/** A stored rule's input fields (what a trader writes), without its state. */
const inputOf = (r: Rule) =>
  Object.fromEntries(Object.entries(r).filter(([k]) => Object.keys(RuleInput.properties).includes(k)));

describe('rules across instruments from the dashboard', () => {
  let s: BrowserSession | undefined;
  let bob: Rest;
  beforeAll(async () => {
    bob = await restAs('bob');
    await deleteRules(bob);
  });
  afterAll(async () => {
    await closeDashboard(s);
    if (bob) await deleteRules(bob);
  });

  it('a trader creates BTCUSDT − 15 × ETHUSDT crosses above 0 with an escalation chain; a zero coefficient is refused beside its input', async () => {
    s = await openDashboard();
    const { page } = s;
    page.setDefaultTimeout(20_000);
    await logIn(page, 'bob');
    const form = byTestId(page, 'rule-form');
    await byTestId(form, 'rule-symbol').selectOption('BTCUSDT');
    await byTestId(form, 'rule-shape').selectOption('spread');
    await byTestId(form, 'rule-condition').selectOption('crossing-up');
    await byTestId(form, 'rule-threshold').fill('0');
    await byTestId(form, 'rule-leg-symbol-1').selectOption('ETHUSDT');
    await byTestId(form, 'rule-leg-coefficient-1').fill('0');
    // The chain from the keyboard: each "Add step" by Enter, each wait typed.
    for (let i = 0; i < 3; i++) {
      await byTestId(form, 'rule-step-add').focus();
      await page.keyboard.press('Enter');
    }
    await byTestId(form, 'rule-step-after-1').focus();
    await page.keyboard.type('60');
    await byTestId(form, 'rule-step-to-2').selectOption('desk');
    await byTestId(form, 'rule-step-after-2').fill('300');
    await byTestId(form, 'rule-message').fill('spread turned positive');
    await byTestId(form, 'rule-submit').click();

    const error = byTestId(form, 'rule-error-series.legs[1].coefficient');
    await expect.poll(() => text(error)).toBe('must not be zero: a zero leg adds nothing');
    // Beside its input: in the same labelled field.
    expect(await error.locator('xpath=..').locator('[data-testid="rule-leg-coefficient-1"]').count()).toBe(1);
    expect(await rulesOf(bob)).toEqual([]);
    await screenshot(page, 'rule-across-refused');

    await byTestId(form, 'rule-leg-coefficient-1').fill('-15');
    await byTestId(form, 'rule-submit').click();
    const row = byTestId(page, 'rule-row').first();
    await expect.poll(() => byTestId(page, 'rule-row').count(), { timeout: 15_000 }).toBe(1);
    expect(await text(byTestId(row, 'rule-legs'))).toBe('BTCUSDT − 15 × ETHUSDT crosses up through 0');
    expect(await text(byTestId(row, 'rule-escalation'))).toBe(
      'Until acknowledged: recipient at once, then webhook after 60 s, desk after 5 min.',
    );
    await screenshot(page, 'rule-across');

    const rules = await rulesOf(bob);
    expect(rules).toHaveLength(1);
    expect(inputOf(rules[0]!)).toEqual({
      symbol: 'BTCUSDT',
      condition: 'crossing-up',
      threshold: '0',
      frequency: 'once',
      priority: 'normal',
      message: 'spread turned positive',
      escalation: [
        { to: 'recipient', afterSeconds: 0 },
        { to: 'webhook', afterSeconds: 60 },
        { to: 'desk', afterSeconds: 300 },
      ],
      series: {
        kind: 'spread',
        legs: [
          { symbol: 'BTCUSDT', coefficient: '1' },
          { symbol: 'ETHUSDT', coefficient: '-15' },
        ],
      },
    });
    // The form is empty again for the next rule.
    expect(await byTestId(form, 'rule-shape').inputValue()).toBe('single');
  });
});
