import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { deskContext } from '../lib/desk-context.js';
import { fakeDesk, json, settle } from '../test/fakes.js';
import RulesList from './RulesList.svelte';
import SilencesPanel from './SilencesPanel.svelte';

const silence = (id: string, until: string, endedAt?: string) => ({
  id,
  owner: 'alice',
  symbol: 'BTCUSDT',
  from: '2026-11-21T09:00:00Z',
  until,
  reason: 'earnings',
  onEnd: 'release',
  createdAt: '2026-11-21T09:00:00Z',
  ...(endedAt ? { endedAt } : {}),
});

async function shown(component: typeof RulesList, routes: Parameters<typeof fakeDesk>[0]) {
  const t = fakeDesk(routes);
  const { container } = render(component, { context: deskContext(t.desk) });
  await t.login();
  await Promise.all([t.desk.rules.load(), t.desk.silences.load()]);
  await settle();
  return container;
}

describe('the rows the rules list and the silences panel share', () => {
  it('rules and silences: the muted empty line when there is none', async () => {
    expect((await shown(RulesList, {})).querySelector('ul > li.empty')?.textContent).toBe('No rules.');
    expect((await shown(SilencesPanel, {})).querySelector('ul > li.empty')?.textContent).toBe('No silences.');
  });

  it('silences: one list item per silence, an ended one marked ended', async () => {
    const root = await shown(SilencesPanel, {
      routes: {
        'GET /silences': () =>
          json(200, {
            silences: [
              silence('sl1', '2026-11-21T11:00:00Z'),
              silence('sl2', '2026-11-21T11:00:00Z', '2026-11-21T09:30:00Z'),
            ],
            max: 100,
          }),
      },
    });
    const rows = screen.getAllByTestId('silence-row');
    expect(rows.map((li) => [li.dataset.silenceId, li.classList.contains('ended')])).toEqual([
      ['sl1', false],
      ['sl2', true],
    ]);
    expect(root.querySelectorAll('ul > li')).toHaveLength(2);
    expect(rows[1]!.textContent).toContain('(ended)');
  });
});
