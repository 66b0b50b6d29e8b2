import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import type { BrowserSession } from '../support/browser.js';
import {
  attr,
  closeDashboard,
  deleteRules,
  lastPrice,
  logIn,
  openDashboard,
  restAs,
  until,
  type Rest,
} from './helpers.js';

const SYMBOL = 'SOLUSDT';

describe('an alert fired while the trader is away from the desk', () => {
  let s: BrowserSession | undefined;
  let rest: Rest;
  beforeAll(async () => {
    rest = await restAs('alice');
    await deleteRules(rest);
  });
  afterAll(async () => {
    await closeDashboard(s);
    if (rest) await deleteRules(rest);
  });

  it('is kept by the XMPP server and arrives at her next login; the dashboard sends its receipt and it counts as delivered', async () => {
    // Nobody is logged in as alice (the other files log out): the engine sends to her
    // offline and the server stores the chat message (XEP-0160).
    const rows = await rest.get<{ traders: Array<{ trader: string; show: string }> }>('/v1/presence');
    await until(
      async () =>
        (await rest.get<{ traders: Array<{ trader: string; show: string }> }>('/v1/presence')).body.traders.find(
          (t) => t.trader === 'alice',
        )?.show,
      (show) => show === 'offline',
      `alice offline (was ${JSON.stringify(rows.body.traders)})`,
    );
    const threshold = new Decimal(await lastPrice(rest, SYMBOL)).mul('0.9').toDecimalPlaces(3).toFixed(3);
    const created = await rest.post<{ id: string }>('/v1/rules', {
      symbol: SYMBOL,
      condition: 'greater-than',
      threshold,
      frequency: 'once',
      priority: 'normal',
    });
    expect(created.status).toBe(201);
    const id = (await until(
      async () => {
        const res = await rest.get<{ alerts?: Array<{ id: string; ruleId: string }> }>(`/v1/alerts?symbol=${SYMBOL}`);
        return res.body.alerts?.find((a) => a.ruleId === created.body.id)?.id;
      },
      (v) => v !== undefined,
      'the alert of the rule',
    ))!;
    const events = async () => {
      const res = await rest.get<{ lifecycle: Array<{ event: string }> }>(`/v1/alerts/${id}`);
      return res.status === 200 ? res.body.lifecycle.map((step) => step.event) : [];
    };
    await until(events, (e) => e.includes('sent'), 'the alert sent to offline alice');
    expect(await events()).not.toContain('delivered');

    s = await openDashboard();
    await logIn(s.page, 'alice');
    const item = s.page.locator(`[data-testid="alert-item"][data-alert-id="${id}"]`);
    await expect.poll(() => item.count(), { timeout: 30_000 }).toBe(1);
    expect(await attr(item, 'data-acknowledged')).toBe('false');
    // The receipt (XEP-0184) goes out only for a message the server delivered: the REST
    // history alone would show the item but never make it delivered.
    await expect
      .poll(events, { timeout: 30_000 })
      .toEqual(expect.arrayContaining(['fired', 'sent', 'delivered', 'displayed']));
  });
});
