import { describe, expect, it } from 'vitest';
import { expectError } from '../app.test-util.js';
import rulesRoutes from './rules.js';
import silenceRoutes from './silences.js';
import { AS, bearer, useRouteApp } from './route.test-util.js';

const r = useRouteApp([rulesRoutes, silenceRoutes], { config: { silencesPerTraderMax: 2, silenceMaxSeconds: 3600 } });
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const post = (user: string, payload: Record<string, unknown>) =>
  r.app.inject({ method: 'POST', url: '/v1/silences', headers: bearer(user), payload });
const list = async (user: string) =>
  (await r.app.inject({ method: 'GET', url: '/v1/silences', headers: bearer(user) })).json<{
    silences: { id: string; owner: string; endedAt?: string }[];
    max: number;
  }>();

async function ruleOf(user: string): Promise<string> {
  const res = await r.app.inject({
    method: 'POST',
    url: '/v1/rules',
    headers: bearer(user),
    payload: {
      symbol: 'BTCUSDT',
      condition: 'greater-than',
      threshold: '100000',
      frequency: 'once',
      priority: 'normal',
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

describe('/v1/silences', () => {
  it('creates a silence on an instrument with release at the end by default, listed to its owner', async () => {
    const res = await post(AS.alice, { symbol: 'BTCUSDT', until: inMs(600_000), reason: 'lunch' });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<{ id: string; owner: string; onEnd: string; from: string }>();
    expect(created).toMatchObject({ owner: 'alice', symbol: 'BTCUSDT', reason: 'lunch', onEnd: 'release' });
    expect(created.id).toMatch(/^sl[0-9a-f]{16}$/);
    expect(await list(AS.alice)).toEqual({ silences: [expect.objectContaining({ id: created.id })], max: 2 });
    expect((await list(AS.bob)).silences).toEqual([]);
  });

  it('silences one of your own rules, not somebody else’s (422)', async () => {
    const mine = await ruleOf(AS.alice);
    const res = await post(AS.alice, { ruleId: mine, until: inMs(60_000), reason: 'noisy', onEnd: 'retire' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ ruleId: mine, onEnd: 'retire' });
    expectError(
      await post(AS.bob, { ruleId: mine, until: inMs(60_000), reason: 'x' }),
      422,
      'TICKDESK_API_INVALID_SILENCE',
      /"ruleId": no rule r[0-9a-z]+ of yours/,
    );
  });

  it('refuses bad silences with 422 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ symbol: 'BTCUSDT', until: inMs(-1000), reason: 'x' }, /"until": must be in the future/],
      [{ symbol: 'BTCUSDT', until: inMs(3_700_000), reason: 'x' }, /"until": a silence may last at most 3600 s/],
      [{ until: inMs(60_000), reason: 'x' }, /"symbol": give exactly one of symbol and ruleId/],
      [{ symbol: 'BTCUSDT', ruleId: 'r1', until: inMs(60_000), reason: 'x' }, /"symbol": give exactly one/],
      [{ symbol: 'NOPEUSDT', until: inMs(60_000), reason: 'x' }, /"symbol": no instrument NOPEUSDT/],
      [{ symbol: 'BTCUSDT', until: inMs(60_000), reason: 'y'.repeat(201) }, /"reason": must be at most 200/],
      [{ symbol: 'BTCUSDT', until: inMs(60_000), reason: 'bell\u0007' }, /"reason": must not contain the control/],
    ];
    for (const [payload, message] of cases)
      expectError(await post(AS.bob, payload), 422, 'TICKDESK_API_INVALID_SILENCE', message);
    expect((await list(AS.bob)).silences).toEqual([]);
  });

  it('holds a trader to the limit of silences not yet ended (409); ending one frees a place', async () => {
    const ids: string[] = [];
    for (const reason of ['a', 'b']) {
      const res = await post(AS.alice, { symbol: 'ETHUSDT', until: inMs(60_000), reason });
      expect(res.statusCode, res.body).toBe(201);
      ids.push(res.json<{ id: string }>().id);
    }
    expectError(
      await post(AS.alice, { symbol: 'ETHUSDT', until: inMs(60_000), reason: 'c' }),
      409,
      'TICKDESK_API_SILENCE_LIMIT',
    );
    const del = await r.app.inject({ method: 'DELETE', url: `/v1/silences/${ids[0]}`, headers: bearer(AS.alice) });
    expect(del.statusCode).toBe(204);
    expect((await list(AS.alice)).silences.find((s) => s.id === ids[0])?.endedAt).toBeDefined();
    expect((await post(AS.alice, { symbol: 'ETHUSDT', until: inMs(60_000), reason: 'c' })).statusCode).toBe(201);
  });

  it('lets no one else end a trader’s silence but an admin; compliance and admin see every trader’s', async () => {
    const id = (await post(AS.alice, { symbol: 'BTCUSDT', until: inMs(60_000), reason: 'x' })).json<{ id: string }>()
      .id;
    expectError(
      await r.app.inject({ method: 'DELETE', url: `/v1/silences/${id}`, headers: bearer(AS.bob) }),
      404,
      'TICKDESK_API_UNKNOWN_SILENCE',
    );
    expect((await list(AS.compliance)).silences.map((s) => s.id)).toContain(id);
    expect((await list(AS.admin)).silences.map((s) => s.id)).toContain(id);
    expectError(await post(AS.compliance, { symbol: 'BTCUSDT', until: inMs(60_000), reason: 'x' }), 403);
    expectError(await post(AS.analyst, { symbol: 'BTCUSDT', until: inMs(60_000), reason: 'x' }), 403);
    const del = await r.app.inject({ method: 'DELETE', url: `/v1/silences/${id}`, headers: bearer(AS.admin) });
    expect(del.statusCode).toBe(204);
  });
});
