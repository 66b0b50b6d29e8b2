import { render, screen } from '@testing-library/svelte';
import { get } from 'svelte/store';
import { describe, expect, it, vi } from 'vitest';
import App from '../App.svelte';
import { deskContext } from '../lib/desk-context.js';
import { HEALTH_POLL_LINE_MS, HEALTH_POLL_MS } from '../lib/stores/desk-health.js';
import { deskRoutes, fakeDesk, json, settle } from '../test/fakes.js';

// happy-dom has no canvas: the chart is not what these tests look at.
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

const running = { state: 'running', restarts: 0 };
const WHOLE = {
  xmpp: running,
  redis: { ...running, role: 'primary' },
  'redis-replica': { ...running, role: 'replica' },
  'sentinel-1': running,
  engine: { state: 'running', detail: 'slot 1: BTCUSDT', restarts: 0 },
  'engine-2': { state: 'running', detail: 'slot 2: EURUSD', restarts: 0 },
  feeds: { state: 'running', detail: 'publishing BTCUSDT, EURUSD', restarts: 0 },
  'feed-standby': { state: 'running', detail: 'standby: holds no instrument', restarts: 0 },
  recorder: running,
  api: running,
};

function deskWithHealth(role: string) {
  let answer: { status: number; components: Record<string, unknown> } = { status: 200, components: WHOLE };
  const t = fakeDesk({
    routes: {
      ...deskRoutes(role),
      'GET /health': () =>
        json(answer.status, {
          status: answer.status === 200 ? 'ok' : 'degraded',
          time: '2026-11-21T10:00:00Z',
          components: answer.components,
        }),
    },
  });
  return { t, answer: (status: number, components: Record<string, unknown>) => (answer = { status, components }) };
}

const rowOf = (part: string) => screen.getAllByTestId('desk-part').find((r) => r.dataset.part === part)!;
const healthCalls = (t: ReturnType<typeof fakeDesk>) => t.http.calls.filter((c) => c.path === '/health').length;

describe('the Desk parts panel', () => {
  it('shows compliance every part, which Redis is primary and what each engine holds; a kill shows as down and clears on the next reads', async () => {
    const { t, answer } = deskWithHealth('compliance');
    render(App, { context: deskContext(t.desk) });
    await t.login('carol@desk.localhost');
    expect(screen.getAllByTestId('desk-part').map((r) => r.dataset.part)).toEqual([
      'xmpp',
      'redis',
      'redis-replica',
      'sentinel-1',
      'alerts',
      'alerts-2',
      'feed',
      'feed-standby',
      'recorder',
      'api',
    ]);
    expect(rowOf('redis').dataset.role).toBe('primary');
    expect(rowOf('alerts-2').textContent).toContain('holds 1: EURUSD');
    expect(screen.getByTestId('desk-parts-status').dataset.status).toBe('ok');
    expect(screen.getByTestId('desk-state').textContent).toContain('Desk ok');
    expect(t.timers.delays).toContain(HEALTH_POLL_MS);

    answer(503, {
      ...WHOLE,
      'engine-2': { state: 'degraded', detail: 'alerts-2 restarting', restarts: 1, lastExit: 'SIGKILL' },
      feeds: { state: 'degraded', detail: 'feed restarting', restarts: 1 },
    });
    await t.timers.fire();
    await settle();
    expect(rowOf('alerts-2').dataset.state).toBe('down');
    expect(rowOf('feed').dataset.state).toBe('down');
    expect(rowOf('alerts-2').textContent).toContain('↻ 1');
    expect(screen.getByTestId('desk-parts-status').textContent).toContain('alerts-2 down, feed down');
    expect(screen.getByTestId('desk-state').textContent).toContain('Desk degraded: alerts-2 down, feed down');

    // Back before the next read: ok, with the restart shown for a minute.
    answer(200, {
      ...WHOLE,
      'engine-2': {
        state: 'running',
        detail: 'slot 2: EURUSD',
        restarts: 1,
        lastExit: 'SIGKILL',
        lastRestartAt: '2026-11-21T09:59:57.000Z',
      },
    });
    await t.timers.fire();
    await settle();
    expect(rowOf('alerts-2').dataset.state).toBe('ok');
    expect(rowOf('alerts-2').dataset.recentRestart).toBe('true');
    expect(rowOf('alerts-2').textContent).toContain('↻ 1 · SIGKILL 3 s ago');
    expect(rowOf('alerts').dataset.recentRestart).toBe('false');
    expect(screen.getByTestId('desk-state').dataset.status).toBe('ok');
  });

  it('keeps the last parts shown when the API does not answer, and says so', async () => {
    const { t } = deskWithHealth('admin');
    render(App, { context: deskContext(t.desk) });
    await t.login('admin@desk.localhost');
    t.http.routes['GET /health'] = () => json(502, { code: 'BAD_GATEWAY', message: 'down' });
    await t.timers.fire();
    await settle();
    expect(screen.getByTestId('desk-parts-status').dataset.status).toBe('unreachable');
    expect(screen.getAllByTestId('desk-part')).toHaveLength(10);
    expect(screen.getByTestId('desk-state').textContent).toContain('no answer from the API');
  });

  it('gives a trader the one-line desk state only, read less often, and stops reading at log-out', async () => {
    const { t, answer } = deskWithHealth('trader');
    answer(503, { ...WHOLE, recorder: { state: 'degraded', detail: 'recorder reports degraded: XMPP session down' } });
    render(App, { context: deskContext(t.desk) });
    await t.login();
    expect(screen.queryByTestId('desk-parts')).toBeNull();
    expect(screen.getByTestId('desk-state').textContent).toContain('Desk degraded: recorder degraded');
    expect(t.timers.delays).toContain(HEALTH_POLL_LINE_MS);
    expect(t.timers.delays).not.toContain(HEALTH_POLL_MS);
    await t.desk.session.logout();
    await settle();
    const before = healthCalls(t);
    await t.timers.fire();
    expect(healthCalls(t)).toBe(before);
    expect(get(t.desk.health.view).status).toBe('unknown');
  });
});
