import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attr, byTestId, ruleAtPrice, screenshot, text, useDashboard } from './helpers.js';

const SYMBOL = 'ETHUSDT';
/** "2026-12-06 19:30", as a trader types a UTC time into the form. */
const typed = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

describe('silences on the dashboard', () => {
  const s = useDashboard('alice', { later: true });
  let ruleId: string;
  beforeAll(async () => {
    // A rule that will not fire during the test (ten times the last price), there at login.
    ruleId = await ruleAtPrice(s.rest, SYMBOL, 10);
    await s.open();
  });
  // Registered after useDashboard's: runs before its rules are deleted.
  afterAll(async () => {
    const res = await s.rest.get<{ silences?: Array<{ id: string; endedAt?: string }> }>('/v1/silences');
    for (const silence of res.body.silences ?? []) if (!silence.endedAt) await s.rest.del(`/v1/silences/${silence.id}`);
  });

  it('a silenced rule is shown as such with its end and reason, until the silence is ended', async () => {
    const { page } = s;
    const row = page.locator(`[data-testid="rule-row"][data-rule-id="${ruleId}"]`);
    await row.waitFor();
    expect(await byTestId(row, 'rule-silenced').count()).toBe(0);

    const until = Date.now() + 3_600_000;
    await byTestId(page, 'silence-target').selectOption(`rule:${ruleId}`);
    await byTestId(page, 'silence-until').fill(typed(until));
    await byTestId(page, 'silence-reason').fill('earnings call');
    await byTestId(page, 'silence-add').click();

    const badge = byTestId(row, 'rule-silenced');
    await badge.waitFor();
    expect(await text(badge)).toBe(`silenced until ${typed(until)}:00 UTC — earnings call`);
    const silenceRow = page.locator('[data-testid="silence-row"]').filter({ hasText: 'earnings call' });
    const id = await attr(silenceRow, 'data-silence-id');
    const listed = await s.rest.get<{ silences: Array<{ id: string; ruleId?: string; reason: string }> }>(
      '/v1/silences',
    );
    expect(listed.body.silences.find((x) => x.id === id)).toMatchObject({ ruleId, reason: 'earnings call' });
    await screenshot(page, 'silences');

    await byTestId(silenceRow, 'silence-end').click();
    await expect.poll(() => byTestId(row, 'rule-silenced').count(), { timeout: 10_000 }).toBe(0);
    expect(await text(silenceRow)).toContain('(ended)');
  });

  it('a silence in the past is refused with the field named', async () => {
    const { page } = s;
    await byTestId(page, 'silence-target').selectOption(`symbol:${SYMBOL}`);
    await byTestId(page, 'silence-until').fill(typed(Date.now() - 3_600_000));
    await byTestId(page, 'silence-reason').fill('too late');
    await byTestId(page, 'silence-add').click();
    await expect
      .poll(() => text(byTestId(page, 'silence-error')), { timeout: 10_000 })
      .toBe('silence field "until": must be in the future');
  });
});
