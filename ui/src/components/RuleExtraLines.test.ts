import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { deskContext } from '../lib/desk-context.js';
import { fakeDesk, json, settle } from '../test/fakes.js';
import RulesList from './RulesList.svelte';

const stored = (id: string, more: object) => ({
  id,
  owner: 'alice',
  status: 'active',
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  version: 1,
  symbol: 'BTCUSDT',
  condition: 'crossing',
  threshold: '0',
  frequency: 'once',
  priority: 'normal',
  ...more,
});

describe('the rules list in plain words', () => {
  it("shows a spread rule's whole condition and a rule's own escalation chain, and nothing more for a plain rule", async () => {
    const t = fakeDesk({
      routes: {
        'GET /rules': () =>
          json(200, {
            rules: [
              stored('r1', {
                series: {
                  kind: 'spread',
                  legs: [
                    { symbol: 'BTCUSDT', coefficient: '1' },
                    { symbol: 'ETHUSDT', coefficient: '-15' },
                  ],
                },
              }),
              stored('r2', {
                backup: 'bob',
                escalation: [
                  { to: 'recipient', afterSeconds: 0 },
                  { to: 'webhook', afterSeconds: 60 },
                  { to: 'backup', afterSeconds: 120 },
                  { to: 'desk', afterSeconds: 300 },
                ],
              }),
              stored('r3', {}),
            ],
          }),
      },
    });
    render(RulesList, { context: deskContext(t.desk) });
    await t.login();
    await t.desk.rules.load();
    await settle();
    const row = (id: string) => screen.getAllByTestId('rule-row').find((r) => r.dataset.ruleId === id)!;
    const line = (id: string, what: string) => row(id).querySelector(`[data-testid="rule-${what}"]`)?.textContent;

    expect(line('r1', 'legs')).toBe('BTCUSDT − 15 × ETHUSDT crosses 0');
    expect(line('r1', 'escalation')).toBeUndefined();
    expect(line('r2', 'escalation')).toBe(
      'Until acknowledged: recipient at once, then webhook after 60 s, backup bob after 2 min, desk after 5 min.',
    );
    expect(line('r2', 'legs')).toBeUndefined();
    expect(line('r3', 'legs')).toBeUndefined();
    expect(line('r3', 'escalation')).toBeUndefined();
  });

  it('shows one list item per rule, with its own data and state class, and no empty line', async () => {
    const t = fakeDesk({
      routes: { 'GET /rules': () => json(200, { rules: [stored('r1', {}), stored('r2', { status: 'paused' })] }) },
    });
    const { container } = render(RulesList, { context: deskContext(t.desk) });
    await t.login();
    await t.desk.rules.load();
    await settle();
    const items = [...container.querySelectorAll('ul > li')];
    expect(items.map((li) => [li.getAttribute('data-rule-id'), li.classList.contains('paused')])).toEqual([
      ['r1', false],
      ['r2', true],
    ]);
    expect(screen.queryByText('No rules.')).toBeNull();
  });
});
