import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { deskContext } from '../lib/desk-context.js';
import { PRESENCE_POLL_MS } from '../lib/stores/presence.js';
import { deskRoutes, fakeDesk, json, settle } from '../test/fakes.js';
import ComplianceView from './ComplianceView.svelte';
import PresencePanel from './PresencePanel.svelte';

const bob = (show: string, since: string) => ({
  trader: 'bob@deskb.localhost',
  show,
  since,
  remote: true,
  domain: 'deskb.localhost',
});

describe("the Desk panel with a partner desk's traders", () => {
  it('lists them under their desk after ours, and follows their presence by reading the snapshot again', async () => {
    let remoteShow = 'online';
    const t = fakeDesk({
      routes: {
        'GET /presence': () =>
          json(200, {
            traders: [
              { trader: 'alice', show: 'online', since: '2026-11-21T09:00:00.000Z' },
              { trader: 'dave', show: 'offline' },
              bob(remoteShow, remoteShow === 'online' ? '2026-11-21T09:10:00.000Z' : '2026-11-21T10:00:05.000Z'),
              { trader: 'amy@deskc.localhost', show: 'away', since: 'x', remote: true, domain: 'deskc.localhost' },
            ],
          }),
      },
    });
    await t.login();
    render(PresencePanel, { context: deskContext(t.desk) });
    await settle();
    const rows = () => screen.getAllByTestId('presence-row');
    expect(rows().map((r) => [r.dataset.jid, r.dataset.remote, r.dataset.domain])).toEqual([
      ['alice@desk.localhost', 'false', 'desk.localhost'],
      ['dave@desk.localhost', 'false', 'desk.localhost'],
      ['bob@deskb.localhost', 'true', 'deskb.localhost'],
      ['amy@deskc.localhost', 'true', 'deskc.localhost'],
    ]);
    expect(screen.getAllByTestId('presence-desk').map((h) => h.dataset.domain)).toEqual([
      'deskb.localhost',
      'deskc.localhost',
    ]);
    const bobRow = () => rows().find((r) => r.dataset.jid === 'bob@deskb.localhost')!;
    expect(bobRow().dataset.show).toBe('online');

    // The partner's trader goes busy: the page learns it on the next read of the snapshot.
    remoteShow = 'dnd';
    expect(t.timers.delays).toContain(PRESENCE_POLL_MS);
    await t.timers.fire();
    await settle();
    expect(bobRow().dataset.show).toBe('busy');
    expect(within(bobRow()).getByTestId('presence-since').getAttribute('datetime')).toBe('2026-11-21T10:00:05.000Z');

    // Hidden tab: no reads.
    t.setVisible(false);
    const reads = () => t.http.calls.filter((c) => c.path === '/presence').length;
    const before = reads();
    await t.timers.fire();
    expect(reads()).toBe(before);
  });
});

const record = (id: string, fields: Record<string, string>) => ({
  id,
  ruleId: 'r1',
  owner: 'alice',
  recipient: 'alice',
  symbol: 'BTCUSDT',
  condition: 'crossing',
  threshold: '65000',
  price: '65001',
  tickSeq: 1,
  eventTime: '2026-11-21T09:00:00Z',
  firedAt: '2026-11-21T09:00:00.000Z',
  priority: 'normal',
  body: 'BTCUSDT crossing 65000',
  state: 'delivered',
  attempts: 1,
  nextActionAt: 0,
  lifecycle: [
    { event: 'fired', at: '2026-11-21T09:00:00.000Z' },
    { event: 'delivered', at: '2026-11-21T09:00:00.100Z' },
  ],
  ...fields,
});

describe('the compliance view', () => {
  it("marks an alert to a partner desk's trader with their domain, in the list and in the detail", async () => {
    const t = fakeDesk({
      routes: {
        ...deskRoutes('compliance'),
        'GET /alerts': () =>
          json(200, {
            alerts: [
              record('a-remote', { addressee: 'bob@deskb.localhost', recipient: 'bob@deskb.localhost' }),
              // Escalated from the partner's trader to our backup: still addressed across the link.
              record('a-escalated', {
                addressee: 'zed@deskc.localhost',
                recipient: 'carl',
                backup: 'carl',
                state: 'escalated',
              }),
              record('a-local', { recipient: 'alice' }),
              // Our own domain written as a JID is no partner.
              record('a-ours', { addressee: 'dave@desk.localhost', recipient: 'dave@desk.localhost' }),
            ],
          }),
      },
    });
    await t.login('carol@desk.localhost');
    render(ComplianceView, { context: deskContext(t.desk) });
    await settle();
    const row = (id: string) => screen.getAllByTestId('lifecycle-row').find((r) => r.dataset.alertId === id)!;
    const badges = (el: HTMLElement) =>
      within(el)
        .queryAllByTestId('remote-badge')
        .map((b) => b.textContent);
    expect(badges(row('a-remote'))).toEqual(['deskb.localhost']);
    expect(row('a-remote').dataset.remote).toBe('true');
    expect(badges(row('a-escalated'))).toEqual(['deskc.localhost']);
    expect(row('a-escalated').dataset.remote).toBe('true');
    expect(badges(row('a-local'))).toEqual([]);
    expect(badges(row('a-ours'))).toEqual([]);
    expect(row('a-ours').dataset.remote).toBe('false');

    expect(screen.queryByTestId('alert-detail')).toBeNull();
    await fireEvent.click(within(row('a-remote')).getByTestId('lifecycle-open'));
    const detail = screen.getByTestId('alert-detail');
    expect(detail.dataset.alertId).toBe('a-remote');
    expect(badges(detail)).toEqual(['deskb.localhost', 'deskb.localhost']);
    expect(within(detail).getByTestId('alert-detail-remote').textContent).toContain('deskb.localhost');

    await fireEvent.click(within(row('a-local')).getByTestId('lifecycle-open'));
    expect(screen.getByTestId('alert-detail').dataset.alertId).toBe('a-local');
    expect(badges(screen.getByTestId('alert-detail'))).toEqual([]);
    expect(screen.queryByTestId('alert-detail-remote')).toBeNull();
    await fireEvent.click(screen.getByTestId('alert-detail-close'));
    expect(screen.queryByTestId('alert-detail')).toBeNull();
  });
});
