import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { encodeAlert } from '@tickdesk/schemas';
import { markable, receiptRequest, xml } from '@tickdesk/xmpp/browser';
import App from './App.svelte';
import { deskContext } from './lib/desk-context.js';
import { fakeDesk, json, settle } from './test/fakes.js';

// happy-dom has no canvas: a chart that only counts what it is given.
vi.mock('lightweight-charts', () => {
  const series = {
    setData: vi.fn(),
    update: vi.fn(),
    applyOptions: vi.fn(),
    createPriceLine: vi.fn(() => ({})),
    removePriceLine: vi.fn(),
  };
  return {
    createChart: vi.fn(() => ({ addSeries: vi.fn(() => series), remove: vi.fn() })),
    CandlestickSeries: {},
    ColorType: { Solid: 'solid' },
    LineStyle: { Dotted: 1, Dashed: 2 },
  };
});

async function logIn(password: string) {
  await fireEvent.input(screen.getByTestId('login-jid'), { target: { value: 'alice@desk.localhost' } });
  await fireEvent.input(screen.getByTestId('login-password'), { target: { value: password } });
  await fireEvent.submit(screen.getByTestId('login-form'));
  await settle();
}

describe('dashboard', () => {
  it('says wrong credentials, then logs in and shows who and the connection', async () => {
    const t = fakeDesk();
    render(App, { context: deskContext(t.desk) });
    await logIn('wrong');
    expect(screen.getByTestId('login-error').textContent).toBe('Wrong JID or password.');
    expect(screen.getByTestId<HTMLInputElement>('login-password').value).toBe('');
    await logIn('secret');
    expect(screen.queryByTestId('login-form')).toBeNull();
    expect(screen.getByTestId('whoami').textContent).toContain('alice@desk.localhost');
    expect(screen.getByTestId('connection-state').dataset.state).toBe('connected');
    expect(screen.queryByTestId('nav-compliance')).toBeNull();
    expect(screen.getAllByTestId('watch-row').map((r) => r.dataset.symbol)).toEqual(['BTCUSDT', 'EURUSD']);
    expect(screen.getAllByTestId('watch-row')[0]!.dataset.selected).toBe('true');
    expect(screen.getByTestId('chart').dataset.symbol).toBe('BTCUSDT');

    t.xmpp.last().drop();
    await settle();
    expect(screen.getByTestId('connection-state').dataset.state).toBe('reconnecting');
    expect(screen.getByTestId('connection-state').textContent).toMatch(/Reconnecting/);
  });

  it('an expired token brings the login back over the page, which keeps its state', async () => {
    let expired = false;
    const t = fakeDesk({
      routes: {
        'POST /rules': () =>
          expired
            ? json(401, { code: 'TICKDESK_API_TOKEN_EXPIRED', message: 'The token has expired: log in again' })
            : json(201, {
                id: 'r9',
                owner: 'alice',
                status: 'active',
                createdAt: '2026-01-01T00:00:00Z',
                updatedAt: '2026-01-01T00:00:00Z',
                version: 1,
                symbol: 'BTCUSDT',
                condition: 'crossing-up',
                threshold: '70000',
                frequency: 'once',
                priority: 'normal',
              }),
      },
    });
    render(App, { context: deskContext(t.desk) });
    await logIn('secret');
    t.xmpp.last().receive(
      xml(
        'message',
        { from: 'alerts@desk.localhost/engine', type: 'chat', id: 'a1' },
        encodeAlert({
          id: 'a1',
          rule: 'r1',
          symbol: 'BTCUSDT',
          condition: 'crossing-up',
          threshold: '65000',
          price: '65000.5',
          seq: 1,
          eventTime: '2026-11-21T10:00:00Z',
          firedAt: '2026-11-21T10:00:00.1Z',
          priority: 'normal',
        }),
        receiptRequest(),
        markable(),
      ),
    );
    await fireEvent.click(screen.getAllByTestId('watch-row')[1]!);
    await fireEvent.input(screen.getByTestId('rule-threshold'), { target: { value: '70000' } });
    expired = true;
    t.http.routes['POST /auth/token'] = () =>
      json(200, { token: 'tok-2', expiresAt: '2030-01-01T00:00:00Z', user: 'alice', role: 'trader' });
    await fireEvent.click(screen.getByTestId('rule-submit'));
    await settle();

    expect(screen.getByTestId('login-form')).toBeTruthy();
    expect(screen.getByTestId<HTMLInputElement>('login-jid').value).toBe('alice@desk.localhost');
    expect(screen.getByTestId('login-form').textContent).toMatch(/expired/);
    expect(screen.getByTestId<HTMLInputElement>('rule-threshold').value).toBe('70000');
    expect(screen.getAllByTestId('alert-item')).toHaveLength(1);
    expect(screen.getAllByTestId('watch-row')[1]!.dataset.selected).toBe('true');

    expired = false;
    await logIn('secret');
    expect(screen.queryByTestId('login-form')).toBeNull();
    // The refused save went through after the login.
    expect(screen.getAllByTestId('rule-row').map((r) => r.dataset.ruleId)).toEqual(['r9']);
    expect(screen.getAllByTestId('alert-item')[0]!.dataset.alertId).toBe('a1');
  });

  it('shows compliance navigation to compliance officers', async () => {
    const t = fakeDesk({
      routes: {
        'POST /auth/token': () =>
          json(200, { token: 't', expiresAt: '2030-01-01T00:00:00Z', user: 'carol', role: 'compliance' }),
        'GET /alerts': () => json(200, { alerts: [] }),
        'GET /audit/verify': () => json(200, { ok: true, records: 12, head: 'a'.repeat(64) }),
      },
    });
    render(App, { context: deskContext(t.desk) });
    await logIn('secret');
    await fireEvent.click(screen.getByTestId('nav-compliance'));
    await settle();
    await fireEvent.click(screen.getByTestId('audit-verify'));
    await settle();
    expect(screen.getByTestId('audit-verify-result').dataset.ok).toBe('true');
    expect(screen.getByTestId('audit-export-csv').getAttribute('href')).toBe('/v1/audit/export?format=csv');
  });
});
