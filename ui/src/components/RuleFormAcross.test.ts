import { fireEvent, render, screen } from '@testing-library/svelte';
import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { deskContext } from '../lib/desk-context.js';
import type { Handler } from '../test/fake-fetch.js';
import { choose, fakeDesk, json, settle } from '../test/fakes.js';
import RuleForm from './RuleForm.svelte';

async function form(routes: Record<string, Handler>) {
  const t = fakeDesk({ routes });
  await t.login();
  render(RuleForm, { context: deskContext(t.desk) });
  await settle();
  return t;
}
const type = (id: string, value: string) => fireEvent.input(screen.getByTestId(id), { target: { value } });
const posts = (t: Awaited<ReturnType<typeof form>>) =>
  t.http.calls.filter((c) => c.method === 'POST' && c.path === '/rules');

/** BTCUSDT − 15 × EURUSD crosses up through 0, escalated to webhooks after 60 s and the desk after 300 s. */
async function spreadWithChain() {
  choose(screen.getByTestId('rule-shape'), 'spread');
  await settle();
  choose(screen.getByTestId('rule-leg-symbol-1'), 'EURUSD');
  await type('rule-leg-coefficient-1', '-15');
  await type('rule-threshold', '0');
  for (let i = 0; i < 2; i++) await fireEvent.click(screen.getByTestId('rule-step-add'));
  await settle();
  // The recipient only first, the backup only for a rule with one: what step 2 may go to.
  const offered = [...screen.getByTestId<HTMLSelectElement>('rule-step-to-1').options].map((o) => o.value);
  await fireEvent.click(screen.getByTestId('rule-step-add'));
  await settle();
  await type('rule-step-after-1', '60');
  choose(screen.getByTestId('rule-step-to-2'), 'desk');
  await type('rule-step-after-2', '300');
  await settle();
  return offered;
}

describe('rule form across instruments', () => {
  it('creates a spread with an escalation chain, sending exactly the fields entered', async () => {
    const t = await form({ 'POST /rules': ({ body }) => json(201, { id: 'r1', ...(body as object) }) });
    expect(await spreadWithChain()).toEqual(['webhook', 'desk']);
    await fireEvent.click(screen.getByTestId('rule-submit'));
    await settle();
    expect(posts(t).map((c) => c.body)).toEqual([
      {
        symbol: 'BTCUSDT',
        condition: 'crossing-up',
        threshold: '0',
        frequency: 'once',
        priority: 'normal',
        series: {
          kind: 'spread',
          legs: [
            { symbol: 'BTCUSDT', coefficient: '1' },
            { symbol: 'EURUSD', coefficient: '-15' },
          ],
        },
        escalation: [
          { to: 'recipient', afterSeconds: 0 },
          { to: 'webhook', afterSeconds: 60 },
          { to: 'desk', afterSeconds: 300 },
        ],
      },
    ]);
    expect(get(t.desk.rules.draft).shape).toBe('single');
  });

  it('refuses a zero coefficient beside its input without sending, and shows the server’s 422 there too', async () => {
    const t = await form({
      'POST /rules': () =>
        json(422, {
          code: 'TICKDESK_API_INVALID_RULE',
          message: 'rule field "series.legs[1].coefficient": must have at most 12 digits after the point',
        }),
    });
    await spreadWithChain();
    await type('rule-leg-coefficient-1', '0.00');
    await fireEvent.click(screen.getByTestId('rule-submit'));
    await settle();
    const error = screen.getByTestId('rule-error-series.legs[1].coefficient');
    expect(error.textContent).toBe('must not be zero: a zero leg adds nothing');
    expect(error.closest('label')!.querySelector('[data-testid="rule-leg-coefficient-1"]')).not.toBeNull();
    expect(posts(t)).toHaveLength(0);
    expect(screen.getByTestId<HTMLInputElement>('rule-leg-coefficient-1').value).toBe('0.00');

    await type('rule-leg-coefficient-1', '0.0000000000001');
    await fireEvent.click(screen.getByTestId('rule-submit'));
    await settle();
    // Refused here first (the same check as the server's); a 422 of the server lands in the same place.
    expect(posts(t)).toHaveLength(0);
    await type('rule-leg-coefficient-1', '-15');
    await fireEvent.click(screen.getByTestId('rule-submit'));
    await settle();
    expect(posts(t)).toHaveLength(1);
    expect(screen.getByTestId('rule-error-series.legs[1].coefficient').textContent).toBe(
      'must have at most 12 digits after the point',
    );
  });

  it('a 422 naming a part the form has no input for is shown as the general error, with its field', async () => {
    await form({
      'POST /rules': () =>
        json(422, { code: 'TICKDESK_API_INVALID_RULE', message: 'rule field "escalation[1]": must be an object' }),
    });
    await type('rule-threshold', '1');
    await fireEvent.click(screen.getByTestId('rule-submit'));
    await settle();
    expect(screen.getByTestId('rule-error').textContent).toBe('escalation[1]: must be an object');
    expect(screen.getByTestId('rule-error').hidden).toBe(false);
  });

  it('a ratio, "and also" conditions and a reordered chain, all from the keyboard-usable inputs', async () => {
    const t = await form({ 'POST /rules': ({ body }) => json(201, { id: 'r2', ...(body as object) }) });
    choose(screen.getByTestId('rule-shape'), 'ratio');
    await settle();
    choose(screen.getByTestId('rule-denominator'), 'EURUSD');
    await type('rule-threshold', '20');
    await type('rule-backup', 'bob');
    await fireEvent.click(screen.getByTestId('rule-step-add'));
    await fireEvent.click(screen.getByTestId('rule-step-add'));
    await settle();
    choose(screen.getByTestId('rule-step-to-1'), 'backup');
    await type('rule-step-after-1', '30');
    await fireEvent.click(screen.getByTestId('rule-step-add'));
    await settle();
    await type('rule-step-after-2', '10');
    // webhook (10 s) before backup (30 s)
    await fireEvent.click(screen.getByTestId('rule-step-up-2'));
    await fireEvent.click(screen.getByTestId('rule-submit'));
    await settle();
    expect(posts(t)[0]!.body).toMatchObject({
      series: { kind: 'ratio', numerator: 'BTCUSDT', denominator: 'EURUSD' },
      backup: 'bob',
      escalation: [
        { to: 'recipient', afterSeconds: 0 },
        { to: 'webhook', afterSeconds: 10 },
        { to: 'backup', afterSeconds: 30 },
      ],
    });

    choose(screen.getByTestId('rule-condition'), 'greater-than');
    await type('rule-threshold', '1');
    await fireEvent.click(screen.getByTestId('rule-and-add'));
    await settle();
    expect(screen.getByTestId<HTMLSelectElement>('rule-and-symbol-0').value).toBe('EURUSD');
    choose(screen.getByTestId('rule-and-kind-0'), 'inside-channel');
    await settle();
    await type('rule-and-lower-0', '1.05');
    await type('rule-and-upper-0', '1.10');
    for (let i = 1; i < 4; i++) await fireEvent.click(screen.getByTestId('rule-and-add'));
    await settle();
    expect(screen.getByTestId<HTMLButtonElement>('rule-and-add').disabled).toBe(true);
    for (let i = 3; i > 0; i--) await fireEvent.click(screen.getByTestId(`rule-and-remove-${i}`));
    await fireEvent.click(screen.getByTestId('rule-submit'));
    await settle();
    expect(posts(t)[1]!.body).toMatchObject({
      symbol: 'BTCUSDT',
      condition: 'greater-than',
      and: [{ symbol: 'EURUSD', condition: 'inside-channel', lower: '1.05', upper: '1.10' }],
    });
    expect(posts(t)[1]!.body).not.toHaveProperty('series');
  });
});
