import { describe, expect, it } from 'vitest';
import presenceRoutes from './presence.js';
import { multiKeyOperations } from '../../../../test/support/slot-monitor.js';
import { AS, bearer, useRouteApp } from './route.test-util.js';

const t = useRouteApp([presenceRoutes], { peers: ['deskb.localhost', 'deskc.localhost'] });

describe('GET /v1/presence', () => {
  it('lists every trader with their presence and since when, as the engine wrote it', async () => {
    await t.client.hset('td:presence', {
      alice: JSON.stringify({
        trader: 'alice',
        show: 'dnd',
        status: 'in a meeting',
        since: '2026-11-21T09:00:00.000Z',
      }),
      bob: JSON.stringify({ trader: 'bob', show: 'online', since: '2026-11-21T09:30:00.000Z' }),
      ana: JSON.stringify({ trader: 'ana', show: 'online', since: '2026-11-21T09:30:00.000Z' }), // no longer a trader
    });
    const res = await t.app.inject({ url: '/v1/presence', headers: bearer(AS.analyst) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      traders: [
        { trader: 'alice', show: 'dnd', status: 'in a meeting', since: '2026-11-21T09:00:00.000Z' },
        { trader: 'bob', show: 'online', since: '2026-11-21T09:30:00.000Z' },
      ],
    });
  });

  it('shows a trader the engine has not seen, or whose entry is unreadable, as offline without a since', async () => {
    await t.client.hset('td:users', 'carl', 'trader');
    await t.client.hset('td:presence', {
      alice: '{not json',
      bob: JSON.stringify({ trader: 'bob', show: 'sleeping', since: 'x' }),
    });
    const res = await t.app.inject({ url: '/v1/presence', headers: bearer(AS.trader) });
    expect(res.json()).toEqual({
      traders: [
        { trader: 'alice', show: 'offline' },
        { trader: 'bob', show: 'offline' },
        { trader: 'carl', show: 'offline' },
      ],
    });
  });
});

describe("GET /v1/presence: partner desks' traders", () => {
  it("lists the partner traders the engine follows after the desk's own, marked remote with their domain", async () => {
    await t.client.hset('td:presence', {
      alice: JSON.stringify({ trader: 'alice', show: 'online', since: '2026-11-21T09:00:00.000Z' }),
      'zed@deskb.localhost': JSON.stringify({
        trader: 'zed@deskb.localhost',
        show: 'dnd',
        status: 'closing',
        since: '2026-11-21T08:00:00.000Z',
      }),
      'amy@deskc.localhost': JSON.stringify({ trader: 'amy@deskc.localhost', show: 'away', since: 'x1' }),
      'bob@deskb.localhost': JSON.stringify({ trader: 'bob@deskb.localhost', show: 'online', since: 'x2' }),
      'eve@deskb.localhost': '{not json',
      // A domain that is not (or no longer) a peer: its entry stays unseen.
      'mal@elsewhere.example': JSON.stringify({ trader: 'mal@elsewhere.example', show: 'online', since: 'x3' }),
    });
    const res = await t.app.inject({ url: '/v1/presence', headers: bearer(AS.compliance) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      traders: [
        { trader: 'alice', show: 'online', since: '2026-11-21T09:00:00.000Z' },
        { trader: 'bob', show: 'offline' },
        { trader: 'bob@deskb.localhost', show: 'online', since: 'x2', remote: true, domain: 'deskb.localhost' },
        { trader: 'eve@deskb.localhost', show: 'offline', remote: true, domain: 'deskb.localhost' },
        {
          trader: 'zed@deskb.localhost',
          show: 'dnd',
          status: 'closing',
          since: '2026-11-21T08:00:00.000Z',
          remote: true,
          domain: 'deskb.localhost',
        },
        { trader: 'amy@deskc.localhost', show: 'away', since: 'x1', remote: true, domain: 'deskc.localhost' },
      ],
    });
  });
});

describe('GET /v1/presence on Redis Cluster', () => {
  it('reads roles and presence without a MULTI across two slots (td:users and td:presence hash apart)', async () => {
    await t.client.hset(
      'td:presence',
      'alice',
      JSON.stringify({ trader: 'alice', show: 'away', since: '2026-11-21T09:00:00.000Z' }),
    );
    const ops = await multiKeyOperations(t.client, async () => {
      const res = await t.app.inject({ url: '/v1/presence', headers: bearer(AS.trader) });
      expect(res.json<{ traders: unknown[] }>().traders).toContainEqual({
        trader: 'alice',
        show: 'away',
        since: '2026-11-21T09:00:00.000Z',
      });
    });
    expect(ops.filter((o) => o.slots.length > 1).map((o) => o.keys.join(' '))).toEqual([]);
  });
});

describe('authorization: every role against GET /v1/presence', () => {
  it.each([
    ['none', 401],
    ['trader', 200],
    ['analyst', 200],
    ['compliance', 200],
    ['admin', 200],
  ] as const)('as %s → %i', async (who, status) => {
    const res = await t.app.inject({ url: '/v1/presence', headers: who === 'none' ? {} : bearer(AS[who]) });
    expect(res.statusCode).toBe(status);
    if (status === 401) expect(res.json<{ code: string }>().code).toBe('TICKDESK_API_UNAUTHENTICATED');
  });
});
