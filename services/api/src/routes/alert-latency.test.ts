import { describe, expect, it } from 'vitest';
import type { StoredAlert } from '@tickdesk/alerts';
import { HOP_BUCKETS_MS, HOP_NAMES, type HopLatency } from '@tickdesk/schemas';
import alertsRoutes from './alerts.js';
import { alertFixture, AS, bearer, useRouteApp } from './route.test-util.js';

// Small limits, so that a few alerts reach them.
const t = useRouteApp([alertsRoutes], { config: { latencySampleMax: 3, latencyWindowMaxH: 24 } });

const H = '2026-11-21T10:00:';
/** An alert fired at second `s` whose hops are `d` ms apart each (event → … → acknowledged). */
function timed(s: number, d: number, over: Partial<StoredAlert> = {}): StoredAlert {
  const at = (k: number) => new Date(Date.parse(`${H}${String(s).padStart(2, '0')}.000Z`) + k * d).toISOString();
  return alertFixture({
    eventTime: at(-2),
    ingestTime: at(-1),
    firedAt: at(0),
    state: 'acknowledged',
    lifecycle: [
      { event: 'fired', at: at(0) },
      { event: 'sent', at: at(1) },
      { event: 'server-acked', at: at(2) },
      { event: 'delivered', at: at(3) },
      { event: 'displayed', at: at(4) },
      { event: 'acknowledged', at: at(5) },
    ],
    ...over,
  });
}

const latency = async (as: string, query: string) =>
  t.app.inject({ url: `/v1/alerts/latency${query}`, headers: as === 'none' ? {} : bearer(as) });

describe('GET /v1/alerts/latency', () => {
  it('answers each hop’s p50, p90, p99, max, count and histogram over the alerts fired in the window', async () => {
    const inside = [timed(1, 1), timed(2, 3), timed(3, 30)];
    const pending = alertFixture({ firedAt: `${H}04.000Z` }); // fired, not sent: tick side only, no ingest
    const outside = timed(40, 1000);
    for (const a of [...inside, pending, outside]) await t.app.deps.alerts.create(a);
    const res = await latency(AS.compliance, `?from=${H}00Z&to=${H}30Z`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<HopLatency>();
    expect(body).toMatchObject({ from: `${H}00.000Z`, to: `${H}30.000Z`, sampled: 3, truncated: true });
    expect(body.bucketsMs).toEqual([...HOP_BUCKETS_MS]);
    expect(Object.keys(body.hops).sort()).toEqual([...HOP_NAMES].sort());
    // The three newest of the window: the pending one (no hops) and the ones 30 and 3 ms apart.
    expect(body.hops.firedToSent).toMatchObject({ count: 2, p50: 3, p90: 30, p99: 30, max: 30 });
    expect(body.hops.tickToAcknowledged).toMatchObject({ count: 2, p50: 21, max: 210 });
    expect(body.hops.sentToDelivered.buckets.reduce((x, y) => x + y, 0)).toBe(2);
    expect(body.hops.eventToIngest.count).toBe(2);
  });

  it('a hop no alert has is counted 0, without percentiles', async () => {
    await t.app.deps.alerts.create(alertFixture({ firedAt: `${H}05.000Z` }));
    const body = (await latency(AS.admin, `?from=${H}00Z&to=${H}30Z`)).json<HopLatency>();
    expect(body).toMatchObject({ sampled: 1, truncated: false });
    expect(body.hops.sentToDelivered).toEqual({ count: 0, buckets: HOP_BUCKETS_MS.map(() => 0).concat(0) });
  });

  it.each([
    ['from after to', `?from=${H}30Z&to=${H}00Z`, /from must be before to/],
    ['from equal to to', `?from=${H}30Z&to=${H}30Z`, /from must be before to/],
    ['a window over the limit', '?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:01Z', /at most 24 h/],
    ['an impossible date', '?from=2026-02-31T00:00:00Z&to=2026-03-01T00:00:00Z', /from/],
    ['from without to, longer than the limit before now', '?from=2020-01-01T00:00:00Z', /at most 24 h/],
  ])('refuses %s with 422 naming the window', async (_what, query, message) => {
    const res = await latency(AS.compliance, query);
    expect(res.statusCode, res.body).toBe(422);
    const body = res.json<{ code: string; message: string }>();
    expect(body.code).toBe('TICKDESK_API_INVALID_WINDOW');
    expect(body.message).toMatch(message);
  });

  it('refuses a malformed time with 400', async () => {
    expect((await latency(AS.compliance, '?from=yesterday')).statusCode).toBe(400);
  });

  it.each([
    ['none', 401],
    ['alice', 403],
    ['analyst', 403],
    ['compliance', 200],
    ['admin', 200],
  ] as const)('as %s → %i', async (who, status) => {
    const res = await latency(who === 'none' ? 'none' : AS[who], `?from=${H}00Z&to=${H}30Z`);
    expect(res.statusCode, res.body).toBe(status);
  });
});

describe('GET /v1/alerts: each alert with its hops', () => {
  it('answers the hops of every alert, absent ones left out', async () => {
    const whole = timed(1, 2);
    const pending = alertFixture({ firedAt: `${H}02.000Z` });
    for (const a of [whole, pending]) await t.app.deps.alerts.create(a);
    const page = (await t.app.inject({ url: '/v1/alerts', headers: bearer(AS.alice) })).json<{
      alerts: (StoredAlert & { hops: Record<string, number> })[];
    }>();
    expect(page.alerts.map((a) => a.hops)).toEqual([
      {},
      {
        eventToIngest: 2,
        ingestToFired: 2,
        firedToSent: 2,
        sentToServerAcked: 2,
        sentToDelivered: 4,
        deliveredToDisplayed: 2,
        displayedToAcknowledged: 2,
        tickToAcknowledged: 14,
      },
    ]);
    const one = await t.app.inject({ url: `/v1/alerts/${whole.id}`, headers: bearer(AS.compliance) });
    expect(one.json<{ hops: Record<string, number> }>().hops).toMatchObject({ tickToAcknowledged: 14 });
  });
});
