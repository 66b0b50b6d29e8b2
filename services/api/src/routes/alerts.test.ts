import { describe, expect, it } from 'vitest';
import type { StoredAlert } from '@tickdesk/alerts';
import alertsRoutes from './alerts.js';
import { alertFixture, AS, bearer, OTHER_SYMBOL, useRouteApp } from './route.test-util.js';

const t = useRouteApp([alertsRoutes]);

/** Three alerts of alice's (one on another instrument, one delivered) and one of bob's, oldest first. */
async function seed(): Promise<StoredAlert[]> {
  const alerts = [
    alertFixture({ firedAt: '2026-11-21T10:00:00.000Z' }),
    alertFixture({ firedAt: '2026-11-21T10:00:01.000Z', symbol: OTHER_SYMBOL }),
    alertFixture({ firedAt: '2026-11-21T10:00:02.000Z', owner: 'bob', recipient: 'bob' }),
    alertFixture({ firedAt: '2026-11-21T10:00:03.000Z' }),
  ];
  for (const a of alerts) await t.app.deps.alerts.create(a);
  const last = alerts[3]!;
  await t.app.deps.alerts.transition(last.id, { state: 'sent' }, { event: 'sent', at: '2026-11-21T10:00:03.010Z' });
  await t.app.deps.alerts.transition(
    last.id,
    { state: 'delivered' },
    { event: 'delivered', at: '2026-11-21T10:00:03.200Z', detail: 'receipt' },
  );
  return alerts;
}

const ids = async (as: string, query = '') => {
  const res = await t.app.inject({ url: `/v1/alerts${query}`, headers: bearer(as) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ alerts: StoredAlert[] }>().alerts.map((a) => a.id);
};

describe('GET /v1/alerts', () => {
  it('lists newest first; a trader sees only their own, whatever trader they ask for', async () => {
    const [a0, a1, b, a3] = (await seed()).map((a) => a.id);
    expect(await ids(AS.alice)).toEqual([a3, a1, a0]);
    expect(await ids(AS.alice, '?trader=bob')).toEqual([]);
    expect(await ids(AS.alice, '?trader=alice')).toEqual([a3, a1, a0]);
    expect(await ids(AS.bob)).toEqual([b]);
    expect(await ids(AS.compliance)).toEqual([a3, b, a1, a0]);
    expect(await ids(AS.admin, '?trader=bob')).toEqual([b]);
  });

  it('shows a trader their suppressed and retired alerts, with the cap or reason, by state', async () => {
    const at = '2026-11-21T10:00:05.000Z';
    const suppressed = alertFixture({
      state: 'suppressed',
      lifecycle: [{ event: 'suppressed', at, detail: 'cap=owner limit=60/60s rule=r1 seq=7 price=65000.5' }],
    });
    const retired = alertFixture({
      state: 'retired',
      lifecycle: [
        { event: 'fired', at },
        { event: 'sent', at },
        { event: 'retired', at, detail: 'rule r1 deleted' },
      ],
    });
    for (const a of [suppressed, retired]) await t.app.deps.alerts.create(a);
    expect(await ids(AS.alice, '?state=suppressed')).toEqual([suppressed.id]);
    expect(await ids(AS.alice, '?state=retired')).toEqual([retired.id]);
    expect(await ids(AS.bob, '?state=suppressed')).toEqual([]);
    const one = await t.app.inject({ url: `/v1/alerts/${suppressed.id}`, headers: bearer(AS.alice) });
    expect(one.json<StoredAlert>()).toMatchObject({
      state: 'suppressed',
      lifecycle: [{ event: 'suppressed', detail: expect.stringMatching(/^cap=owner limit=60\/60s/) as string }],
    });
  });

  it('filters by instrument, state and time, and pages with a cursor', async () => {
    const [a0, a1, b, a3] = (await seed()).map((a) => a.id);
    expect(await ids(AS.admin, `?symbol=${OTHER_SYMBOL}`)).toEqual([a1]);
    expect(await ids(AS.admin, '?state=delivered')).toEqual([a3]);
    expect(await ids(AS.admin, '?state=pending&trader=alice')).toEqual([a1, a0]);
    expect(await ids(AS.admin, '?from=2026-11-21T10:00:01Z&to=2026-11-21T10:00:03Z')).toEqual([b, a1]);
    const first = (await t.app.inject({ url: '/v1/alerts?limit=2', headers: bearer(AS.admin) })).json<{
      alerts: StoredAlert[];
      next: string;
    }>();
    expect(first.alerts.map((a) => a.id)).toEqual([a3, b]);
    expect(await ids(AS.admin, `?limit=2&cursor=${first.next}`)).toEqual([a1, a0]);
  });

  it('returns each alert with its whole lifecycle and times', async () => {
    const alerts = await seed();
    const [newest] = (await t.app.inject({ url: '/v1/alerts?limit=1', headers: bearer(AS.alice) })).json<{
      alerts: StoredAlert[];
    }>().alerts;
    expect(newest).toEqual({
      ...alerts[3],
      state: 'delivered',
      lifecycle: [
        { event: 'fired', at: '2026-11-21T10:00:03.000Z' },
        { event: 'sent', at: '2026-11-21T10:00:03.010Z' },
        { event: 'delivered', at: '2026-11-21T10:00:03.200Z', detail: 'receipt' },
      ],
      hops: { firedToSent: 10, sentToDelivered: 190 },
    });
  });

  it.each([
    ['an unknown state', '?state=lost'],
    ['a malformed time', '?from=yesterday'],
    ['an impossible date', '?from=2026-02-31T00:00:00Z'],
    ['a limit too large', '?limit=100000'],
    ['a malformed cursor', '?cursor=bm90LWEtY3Vyc29y'],
  ])('refuses %s with 400', async (_what, query) => {
    const res = await t.app.inject({ url: `/v1/alerts${query}`, headers: bearer(AS.admin) });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json<{ code: string }>().code).toBe('TICKDESK_API_BAD_REQUEST');
  });
});

describe('GET /v1/alerts/:id', () => {
  it('returns one alert to its owner, compliance and admin; to another trader it does not exist', async () => {
    const [a0] = await seed();
    for (const as of [AS.alice, AS.compliance, AS.admin]) {
      const res = await t.app.inject({ url: `/v1/alerts/${a0!.id}`, headers: bearer(as) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ ...a0, hops: {} });
    }
    const other = await t.app.inject({ url: `/v1/alerts/${a0!.id}`, headers: bearer(AS.bob) });
    expect(other.statusCode).toBe(404);
    expect(other.json()).toEqual({ code: 'TICKDESK_API_NOT_FOUND', message: `no alert ${a0!.id}` });
    expect((await t.app.inject({ url: '/v1/alerts/nothere', headers: bearer(AS.admin) })).statusCode).toBe(404);
  });

  it('refuses an over-long id with 400', async () => {
    expect((await t.app.inject({ url: `/v1/alerts/${'x'.repeat(65)}`, headers: bearer(AS.admin) })).statusCode).toBe(
      400,
    );
  });
});

describe("authorization: every role against every alert endpoint (an alert of alice's)", () => {
  const rows = [
    ['GET /v1/alerts', 'none', 401],
    ['GET /v1/alerts', 'alice', 200],
    ['GET /v1/alerts', 'bob', 200],
    ['GET /v1/alerts', 'analyst', 403],
    ['GET /v1/alerts', 'compliance', 200],
    ['GET /v1/alerts', 'admin', 200],
    ['GET /v1/alerts/:id', 'none', 401],
    ['GET /v1/alerts/:id', 'alice', 200],
    ['GET /v1/alerts/:id', 'bob', 404],
    ['GET /v1/alerts/:id', 'analyst', 403],
    ['GET /v1/alerts/:id', 'compliance', 200],
    ['GET /v1/alerts/:id', 'admin', 200],
  ] as const;

  it.each(rows)('%s as %s → %i', async (endpoint, who, status) => {
    const alert = alertFixture();
    await t.app.deps.alerts.create(alert);
    const url = endpoint.slice(4).replace(':id', alert.id);
    const res = await t.app.inject({ url, headers: who === 'none' ? {} : bearer(AS[who]) });
    expect(res.statusCode, res.body).toBe(status);
    if (status >= 400) expect(Object.keys(res.json()).sort()).toEqual(['code', 'message']);
  });
});
