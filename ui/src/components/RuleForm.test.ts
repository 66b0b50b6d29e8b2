import { fireEvent, render, screen } from '@testing-library/svelte';
import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { deskContext } from '../lib/desk-context.js';
import { choose, fakeDesk, json, settle } from '../test/fakes.js';
import RuleForm from './RuleForm.svelte';

describe('rule form', () => {
  it("shows the server's 422 beside the named field and keeps every typed value", async () => {
    const t = fakeDesk({
      routes: {
        'POST /rules': () =>
          json(422, {
            code: 'TICKDESK_API_INVALID_RULE',
            message: 'rule field "threshold": must be a decimal string such as 65000.5',
          }),
      },
    });
    await t.login();
    render(RuleForm, { context: deskContext(t.desk) });
    await settle();
    choose(screen.getByTestId('rule-condition'), 'crossing-down');
    await settle();
    await fireEvent.input(screen.getByTestId('rule-threshold'), { target: { value: '65k' } });
    await fireEvent.input(screen.getByTestId('rule-message'), { target: { value: 'stop out' } });
    choose(screen.getByTestId('rule-priority'), 'critical');
    await settle();
    await fireEvent.click(screen.getByTestId('rule-submit'));
    await settle();

    expect(screen.getByTestId('rule-error-threshold').textContent).toBe('must be a decimal string such as 65000.5');
    expect(screen.getByTestId('rule-error').hidden).toBe(true);
    expect(screen.getByTestId<HTMLInputElement>('rule-threshold').value).toBe('65k');
    expect(screen.getByTestId<HTMLInputElement>('rule-message').value).toBe('stop out');
    expect(screen.getByTestId<HTMLSelectElement>('rule-condition').value).toBe('crossing-down');
    expect(screen.getByTestId<HTMLSelectElement>('rule-priority').value).toBe('critical');
    expect(t.http.calls.find((c) => c.method === 'POST' && c.path === '/rules')!.body).toEqual({
      symbol: 'BTCUSDT',
      condition: 'crossing-down',
      threshold: '65k',
      frequency: 'once',
      priority: 'critical',
      message: 'stop out',
    });
  });

  it('an error the form has no field for is shown as the general error', async () => {
    const t = fakeDesk({
      routes: {
        'POST /rules': () => json(403, { code: 'TICKDESK_API_FORBIDDEN', message: 'only traders create rules' }),
      },
    });
    await t.login();
    render(RuleForm, { context: deskContext(t.desk) });
    await settle();
    await fireEvent.input(screen.getByTestId('rule-threshold'), { target: { value: '1' } });
    await fireEvent.click(screen.getByTestId('rule-submit'));
    await settle();
    expect(screen.getByTestId('rule-error').textContent).toBe('only traders create rules');
    expect(get(t.desk.rules.draft).threshold).toBe('1');
  });

  it('percent conditions take the percent input, and its error lands there', async () => {
    const t = fakeDesk({
      routes: {
        'POST /rules': () =>
          json(422, {
            code: 'TICKDESK_API_INVALID_RULE',
            message: 'rule field "amount": must be at most 100 (percent) for moving-down-percent',
          }),
      },
    });
    await t.login();
    render(RuleForm, { context: deskContext(t.desk) });
    await settle();
    choose(screen.getByTestId('rule-condition'), 'moving-down-percent');
    await settle();
    await fireEvent.input(screen.getByTestId('rule-percent'), { target: { value: '150' } });
    await fireEvent.input(screen.getByTestId('rule-window'), { target: { value: '60' } });
    await fireEvent.click(screen.getByTestId('rule-submit'));
    await settle();
    const error = screen.getByTestId('rule-error-amount');
    expect(error.closest('label')!.querySelector('[data-testid="rule-percent"]')).not.toBeNull();
    expect(screen.getAllByTestId('rule-error-amount')).toHaveLength(1);
  });

  it('editing a spread rule with an escalation chain shows them in their inputs, and saving sends them back as stored', async () => {
    const series = {
      kind: 'spread',
      legs: [
        { symbol: 'BTCUSDT', coefficient: '1' },
        { symbol: 'ETHUSDT', coefficient: '-15' },
      ],
    };
    const escalation = [
      { to: 'recipient', afterSeconds: 0 },
      { to: 'desk', afterSeconds: 300 },
    ];
    const stored = {
      id: 'r9',
      owner: 'alice',
      status: 'active',
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      version: 4,
      symbol: 'BTCUSDT',
      condition: 'crossing',
      threshold: '0',
      frequency: 'once',
      priority: 'normal',
      series,
      escalation,
    };
    const t = fakeDesk({
      routes: { 'PUT /rules/r9': ({ body }) => json(200, { ...stored, ...(body as object), version: 5 }) },
    });
    await t.login();
    render(RuleForm, { context: deskContext(t.desk) });
    t.desk.rules.edit(stored as never);
    await settle();
    expect(screen.queryByTestId('rule-kept')).toBeNull();
    expect(screen.getByTestId<HTMLSelectElement>('rule-shape').value).toBe('spread');
    expect(screen.getByTestId('rule-leg-symbol-0').textContent).toContain('BTCUSDT');
    expect(screen.getByTestId<HTMLSelectElement>('rule-leg-symbol-1').value).toBe('ETHUSDT');
    expect(screen.getByTestId<HTMLInputElement>('rule-leg-coefficient-1').value).toBe('-15');
    expect(screen.getByTestId<HTMLSelectElement>('rule-step-to-1').value).toBe('desk');
    expect(screen.getByTestId<HTMLInputElement>('rule-step-after-1').value).toBe('300');
    await fireEvent.input(screen.getByTestId('rule-threshold'), { target: { value: '12.5' } });
    await fireEvent.click(screen.getByTestId('rule-submit'));
    await settle();
    const put = t.http.calls.find((c) => c.method === 'PUT' && c.path === '/rules/r9')!;
    expect(put.headers['if-match']).toBe('"4"');
    expect(put.body).toEqual({
      symbol: 'BTCUSDT',
      condition: 'crossing',
      threshold: '12.5',
      frequency: 'once',
      priority: 'normal',
      series,
      escalation,
    });
    // A new rule keeps nothing.
    expect(screen.queryByTestId('rule-kept')).toBeNull();
  });
});
