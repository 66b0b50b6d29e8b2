import { describe, expect, it } from 'vitest';
import type { RuleChange } from '@tickdesk/alerts';
import type { Rule } from '@tickdesk/schemas';
import rulesRoutes from './rules.js';
import { AS, bearer, ruleInput, useRouteApp } from './route.test-util.js';

const t = useRouteApp([rulesRoutes]);

const create = async (as: string = AS.alice, body: unknown = ruleInput()) => {
  const res = await t.app.inject({ method: 'POST', url: '/v1/rules', headers: bearer(as), payload: body as object });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Rule>();
};

describe('POST /v1/rules', () => {
  it('creates a rule of the caller with canonical decimals, an ETag and a Location', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/rules',
      headers: bearer(AS.alice),
      payload: ruleInput({ threshold: '65000.50', backup: 'bob', message: 'take profit' }),
    });
    expect(res.statusCode).toBe(201);
    const rule = res.json<Rule>();
    expect(rule).toMatchObject({
      owner: 'alice',
      symbol: 'BTCUSDT',
      threshold: '65000.5',
      backup: 'bob',
      status: 'active',
      version: 1,
      message: 'take profit',
    });
    expect(res.headers.etag).toBe('"1"');
    expect(res.headers.location).toBe(`/v1/rules/${rule.id}`);
    expect(await t.app.deps.rules.get(rule.id)).toEqual(rule);
  });

  it('publishes the change to the engine within a second', async () => {
    const heard: RuleChange[] = [];
    const unsubscribe = await t.app.deps.rules.subscribe((c) => heard.push(c));
    try {
      const started = Date.now();
      const rule = await create();
      while (heard.length === 0 && Date.now() - started < 1_000) await new Promise((r) => setTimeout(r, 10));
      expect(heard).toEqual([{ id: rule.id, version: 1, op: 'upsert' }]);
    } finally {
      await unsubscribe();
    }
  });

  it.each([
    ['a number for a price', { threshold: 65000 }, 'threshold'],
    ['an unknown field', { colour: 'red' }, 'colour'],
    ['an unknown instrument', { symbol: 'NOPE' }, 'symbol'],
    ['a missing threshold', { threshold: undefined }, 'threshold'],
    ['a backup who is the owner', { backup: 'alice' }, 'backup'],
    ['a backup who is not a trader', { backup: 'ana' }, 'backup'],
    ['an expiry in the past', { expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
    ['a channel upside down', { condition: 'inside-channel', threshold: undefined, lower: '2', upper: '1' }, 'lower'],
  ])('refuses %s with 422 naming the field', async (_what, over, field) => {
    const body = JSON.parse(JSON.stringify({ ...ruleInput(), ...over })) as object;
    const res = await t.app.inject({ method: 'POST', url: '/v1/rules', headers: bearer(AS.alice), payload: body });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toEqual({
      code: 'TICKDESK_API_INVALID_RULE',
      message: expect.stringContaining(`"${field}"`) as string,
    });
    expect(await t.app.deps.rules.list()).toEqual([]);
  });

  it('refuses an every-time rule with a cooldown under the minimum with 422 naming cooldownSeconds', async () => {
    for (const cooldownSeconds of [0, 9]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/rules',
        headers: bearer(AS.alice),
        payload: ruleInput({ frequency: 'every-time', cooldownSeconds }),
      });
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json()).toEqual({
        code: 'TICKDESK_API_INVALID_RULE',
        message: expect.stringMatching(/"cooldownSeconds".*from 10/) as string,
      });
    }
    expect(await t.app.deps.rules.list()).toEqual([]);
    expect((await create(AS.alice, ruleInput({ frequency: 'every-time', cooldownSeconds: 10 }))).cooldownSeconds).toBe(
      10,
    );
  });

  it('refuses a rule past the per-trader cap with 409 TICKDESK_API_RULE_LIMIT; others can still create', async () => {
    const cap = t.app.deps.rules.maxRulesPerOwner;
    for (let i = 0; i < cap; i++) await t.app.deps.rules.create('alice', ruleInput({ threshold: String(60_000 + i) }));
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/rules',
      headers: bearer(AS.alice),
      payload: ruleInput(),
    });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toEqual({
      code: 'TICKDESK_API_RULE_LIMIT',
      message: `alice has ${cap} rules, the most allowed: delete one first`,
    });
    expect(await t.app.deps.rules.list({ owner: 'alice' })).toHaveLength(cap);
    await create(AS.bob);
  });

  it('refuses a body that is not an object with 422, and malformed JSON with 400', async () => {
    const arr = await t.app.inject({
      method: 'POST',
      url: '/v1/rules',
      headers: bearer(AS.alice),
      payload: [ruleInput()],
    });
    expect(arr.statusCode).toBe(422);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v1/rules',
      headers: { ...bearer(AS.alice), 'content-type': 'application/json' },
      payload: '{"symbol":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ code: string }>().code).toBe('TICKDESK_API_BAD_REQUEST');
  });
});

describe('GET /v1/rules', () => {
  it("shows a trader their own rules only, and compliance or admin everyone's, filtered by owner", async () => {
    const a = await create(AS.alice);
    const b = await create(AS.bob, ruleInput({ symbol: 'ETHUSDT', threshold: '3400' }));
    const list = async (as: string, query = '') =>
      (await t.app.inject({ url: `/v1/rules${query}`, headers: bearer(as) }))
        .json<{ rules: Rule[] }>()
        .rules.map((r) => r.id);
    expect(await list(AS.alice)).toEqual([a.id]);
    expect(await list(AS.alice, '?owner=bob')).toEqual([]);
    expect(await list(AS.compliance)).toEqual([a.id, b.id]);
    expect(await list(AS.admin, '?owner=bob')).toEqual([b.id]);
    expect(await list(AS.admin, '?symbol=ETHUSDT')).toEqual([b.id]);
    expect(await list(AS.admin, '?status=paused')).toEqual([]);
  });

  it('refuses a malformed filter with 400', async () => {
    const res = await t.app.inject({ url: '/v1/rules?status=sleeping', headers: bearer(AS.admin) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'TICKDESK_API_BAD_REQUEST',
      message: expect.stringContaining('status') as string,
    });
  });
});

describe('GET /v1/rules/:id', () => {
  it("returns the rule with its version as ETag; someone else's is a 404 to a trader", async () => {
    const a = await create(AS.alice);
    const own = await t.app.inject({ url: `/v1/rules/${a.id}`, headers: bearer(AS.alice) });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toEqual(a);
    expect(own.headers.etag).toBe('"1"');
    const other = await t.app.inject({ url: `/v1/rules/${a.id}`, headers: bearer(AS.bob) });
    expect(other.statusCode).toBe(404);
    expect(other.json()).toEqual({ code: 'TICKDESK_API_NOT_FOUND', message: `no rule ${a.id}` });
    expect((await t.app.inject({ url: `/v1/rules/${a.id}`, headers: bearer(AS.compliance) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/v1/rules/rnothere', headers: bearer(AS.alice) })).statusCode).toBe(404);
  });

  it('refuses an over-long id with 400', async () => {
    expect((await t.app.inject({ url: `/v1/rules/r${'x'.repeat(80)}`, headers: bearer(AS.alice) })).statusCode).toBe(
      400,
    );
  });
});

describe('PUT /v1/rules/:id', () => {
  const put = (id: string, body: unknown, headers: Record<string, string> = {}, as: string = AS.alice, query = '') =>
    t.app.inject({
      method: 'PUT',
      url: `/v1/rules/${id}${query}`,
      headers: { ...bearer(as), ...headers },
      payload: body as object,
    });

  it('replaces the input, keeps status, owner and createdAt, and bumps the version', async () => {
    const a = await create();
    await t.app.inject({ method: 'POST', url: `/v1/rules/${a.id}/pause`, headers: bearer(AS.alice) });
    const res = await put(a.id, ruleInput({ condition: 'less-than', threshold: '60000', priority: 'critical' }), {
      'if-match': '"2"',
    });
    expect(res.statusCode, res.body).toBe(200);
    const rule = res.json<Rule>();
    expect(rule).toMatchObject({
      id: a.id,
      owner: 'alice',
      createdAt: a.createdAt,
      status: 'paused',
      condition: 'less-than',
      threshold: '60000',
      priority: 'critical',
      version: 3,
    });
    expect(res.headers.etag).toBe('"3"');
  });

  it('answers 409 when the version read is stale, by If-Match or ?version=', async () => {
    const a = await create();
    expect((await put(a.id, ruleInput({ threshold: '1' }), { 'if-match': '"1"' })).statusCode).toBe(200);
    const stale = await put(a.id, ruleInput({ threshold: '2' }), { 'if-match': '"1"' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json<{ code: string }>().code).toBe('TICKDESK_API_CONFLICT');
    expect((await put(a.id, ruleInput({ threshold: '2' }), {}, AS.alice, '?version=1')).statusCode).toBe(409);
    expect((await put(a.id, ruleInput({ threshold: '2' }), {}, AS.alice, '?version=2')).statusCode).toBe(200);
    expect((await t.app.deps.rules.get(a.id))?.threshold).toBe('2');
  });

  it('without a version, the last write wins', async () => {
    const a = await create();
    expect((await put(a.id, ruleInput({ threshold: '5' }))).json<{ version: number }>().version).toBe(2);
  });

  it('refuses a malformed or contradictory version with 400', async () => {
    const a = await create();
    expect((await put(a.id, ruleInput(), { 'if-match': 'yesterday' })).statusCode).toBe(400);
    expect((await put(a.id, ruleInput(), {}, AS.alice, '?version=abc')).statusCode).toBe(400);
    const both = await put(a.id, ruleInput(), { 'if-match': '1' }, AS.alice, '?version=2');
    expect(both.statusCode).toBe(400);
    expect(both.json<{ code: string }>().code).toBe('TICKDESK_API_BAD_REQUEST');
  });

  it("refuses an invalid rule with 422, and someone else's or a missing one with 404", async () => {
    const a = await create();
    const invalid = await put(a.id, { ...ruleInput(), threshold: 1 });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json<{ message: string }>().message).toContain('"threshold"');
    expect((await put(a.id, ruleInput({ backup: 'alice' }), {}, AS.admin)).statusCode).toBe(422); // the owner, not the admin, is who cannot be backup
    expect((await put(a.id, ruleInput(), {}, AS.bob)).statusCode).toBe(404);
    expect((await put('rnothere', ruleInput())).statusCode).toBe(404);
  });

  it("lets an admin edit anyone's rule", async () => {
    const a = await create();
    const res = await put(a.id, ruleInput({ threshold: '7', backup: 'bob' }), {}, AS.admin);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ owner: 'alice', threshold: '7', backup: 'bob' });
  });
});

describe('POST /v1/rules/:id/pause and /resume', () => {
  const act = (id: string, action: string, as: string = AS.alice, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: `/v1/rules/${id}/${action}`, headers: { ...bearer(as), ...headers } });

  it('pauses an active rule and resumes a paused one, publishing each change', async () => {
    const a = await create();
    const heard: RuleChange[] = [];
    const unsubscribe = await t.app.deps.rules.subscribe((c) => heard.push(c));
    try {
      const paused = await act(a.id, 'pause');
      expect(paused.statusCode).toBe(200);
      expect(paused.json()).toMatchObject({ status: 'paused', version: 2 });
      const resumed = await act(a.id, 'resume');
      expect(resumed.json()).toMatchObject({ status: 'active', version: 3 });
      const deadline = Date.now() + 1_000;
      while (heard.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(heard.map((c) => c.version)).toEqual([2, 3]);
    } finally {
      await unsubscribe();
    }
  });

  it('answers 409 for a rule not in the state the action needs, or a stale version', async () => {
    const a = await create();
    const resume = await act(a.id, 'resume');
    expect(resume.statusCode).toBe(409);
    expect(resume.json()).toEqual({ code: 'TICKDESK_API_CONFLICT', message: `rule ${a.id} is active, not paused` });
    expect((await act(a.id, 'pause', AS.alice, { 'if-match': '"7"' })).statusCode).toBe(409);
    await t.app.deps.rules.setStatus(a.id, 'triggered');
    expect((await act(a.id, 'pause')).statusCode).toBe(409);
  });

  it("answers 404 for someone else's rule and 400 for a malformed version", async () => {
    const a = await create();
    expect((await act(a.id, 'pause', AS.bob)).statusCode).toBe(404);
    expect((await act(a.id, 'pause', AS.alice, { 'if-match': 'x' })).statusCode).toBe(400);
  });
});

describe('DELETE /v1/rules/:id', () => {
  it("deletes with 204; then, or for someone else's, 404", async () => {
    const a = await create();
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/v1/rules/${a.id}`, headers: bearer(AS.bob) })).statusCode,
    ).toBe(404);
    const res = await t.app.inject({ method: 'DELETE', url: `/v1/rules/${a.id}`, headers: bearer(AS.alice) });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(await t.app.deps.rules.get(a.id)).toBeUndefined();
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/v1/rules/${a.id}`, headers: bearer(AS.alice) })).statusCode,
    ).toBe(404);
  });

  it('answers 400 for an over-long id', async () => {
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/v1/rules/r${'x'.repeat(80)}`, headers: bearer(AS.alice) }))
        .statusCode,
    ).toBe(400);
  });
});

describe("authorization: every role against every rule endpoint (a rule of alice's)", () => {
  type Who = 'none' | 'owner' | 'other trader' | 'analyst' | 'compliance' | 'admin';
  const who: Record<Exclude<Who, 'none'>, string> = {
    owner: AS.alice,
    'other trader': AS.bob,
    analyst: AS.analyst,
    compliance: AS.compliance,
    admin: AS.admin,
  };
  const endpoints: [string, string, (id: string) => string, Record<Who, number>][] = [
    [
      'GET',
      'list',
      () => '/v1/rules',
      { none: 401, owner: 200, 'other trader': 200, analyst: 403, compliance: 200, admin: 200 },
    ],
    [
      'GET',
      'one',
      (id) => `/v1/rules/${id}`,
      { none: 401, owner: 200, 'other trader': 404, analyst: 403, compliance: 200, admin: 200 },
    ],
    [
      'POST',
      'create',
      () => '/v1/rules',
      { none: 401, owner: 201, 'other trader': 201, analyst: 403, compliance: 403, admin: 403 },
    ],
    [
      'PUT',
      'replace',
      (id) => `/v1/rules/${id}`,
      { none: 401, owner: 200, 'other trader': 404, analyst: 403, compliance: 403, admin: 200 },
    ],
    [
      'POST',
      'pause',
      (id) => `/v1/rules/${id}/pause`,
      { none: 401, owner: 200, 'other trader': 404, analyst: 403, compliance: 403, admin: 200 },
    ],
    [
      'POST',
      'resume',
      (id) => `/v1/rules/${id}/resume`,
      { none: 401, owner: 409, 'other trader': 404, analyst: 403, compliance: 403, admin: 409 },
    ],
    [
      'DELETE',
      'delete',
      (id) => `/v1/rules/${id}`,
      { none: 401, owner: 204, 'other trader': 404, analyst: 403, compliance: 403, admin: 204 },
    ],
  ];
  const rows = endpoints.flatMap(([method, name, url, expected]) =>
    (Object.keys(expected) as Who[]).map((w) => [method, name, w, expected[w], url] as const),
  );

  it.each(rows)('%s %s as %s → %i', async (method, _name, w, status, url) => {
    const rule = await create();
    const body = method === 'POST' || method === 'PUT' ? ruleInput() : undefined;
    const res = await t.app.inject({
      method,
      url: url(rule.id),
      headers: w === 'none' ? {} : bearer(who[w]),
      ...(body ? { payload: body } : {}),
    });
    expect(res.statusCode, res.body).toBe(status);
    if (status >= 400) expect(Object.keys(res.json()).sort()).toEqual(['code', 'message']);
  });
});
