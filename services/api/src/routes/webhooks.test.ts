import { describe, expect, it } from 'vitest';
import { createWebhookStore } from '@tickdesk/alerts';
import { expectError } from '../app.test-util.js';
import webhookRoutes from './webhooks.js';
import { AS, bearer, useRouteApp } from './route.test-util.js';

const r = useRouteApp([webhookRoutes], {
  webhooks: { perOwnerMax: 2, policy: { allowPrivate: false, self: ['127.0.0.1:8080', 'desk.example:8080'] } },
});
const post = (user: string, url: string) =>
  r.app.inject({ method: 'POST', url: '/v1/webhooks', headers: bearer(user), payload: { url } });

describe('/v1/webhooks', () => {
  it('registers an endpoint with its secret answered once, listed without it', async () => {
    const res = await post(AS.alice, 'https://hooks.example.com/a');
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<{ id: string; secret: string; owner: string }>();
    expect(created.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(created.owner).toBe('alice');
    const list = await r.app.inject({ method: 'GET', url: '/v1/webhooks', headers: bearer(AS.alice) });
    expect(list.json()).toEqual({ webhooks: [expect.objectContaining({ id: created.id })], max: 2 });
    expect(list.body).not.toContain(created.secret);
    expect(list.body).not.toContain('secret');
  });

  it('refuses a bad URL with 422 naming the field', async () => {
    const cases: Array<[string, RegExp]> = [
      ['ftp://hooks.example.com/a', /"url": must be http or https/],
      [`https://hooks.example.com/${'x'.repeat(2100)}`, /"url": longer than 2048/],
      ['http://desk.example:8080/v1/rules', /"url": points at the desk itself/],
      ['http://localhost:8080/', /"url": points at the desk itself/],
      ['http://127.0.0.1:9000/', /"url": a loopback or private address/],
      ['http://169.254.169.254/latest/meta-data', /"url": a loopback or private address/],
    ];
    for (const [url, message] of cases)
      expectError(await post(AS.alice, url), 422, 'TICKDESK_API_INVALID_WEBHOOK', message);
  });

  it('holds an owner to the limit (409), an admin registers desk-wide, traders see only theirs', async () => {
    expect((await post(AS.alice, 'https://a.example/1')).statusCode).toBe(201);
    expect((await post(AS.alice, 'https://a.example/2')).statusCode).toBe(201);
    expectError(await post(AS.alice, 'https://a.example/3'), 409, 'TICKDESK_API_WEBHOOK_LIMIT');
    const desk = (await post(AS.admin, 'https://desk.example.net/all')).json<{ id: string; owner: string }>();
    expect(desk.owner).toBe('*');
    const bobs = await r.app.inject({ method: 'GET', url: '/v1/webhooks', headers: bearer(AS.bob) });
    expect(bobs.json<{ webhooks: unknown[] }>().webhooks).toEqual([]);
    const all = await r.app.inject({ method: 'GET', url: '/v1/webhooks', headers: bearer(AS.admin) });
    expect(all.json<{ webhooks: unknown[] }>().webhooks).toHaveLength(3);
    // Bob cannot delete alice's or the desk's endpoint; the admin can.
    expectError(
      await r.app.inject({ method: 'DELETE', url: `/v1/webhooks/${desk.id}`, headers: bearer(AS.bob) }),
      404,
      'TICKDESK_API_UNKNOWN_WEBHOOK',
    );
    const del = await r.app.inject({ method: 'DELETE', url: `/v1/webhooks/${desk.id}`, headers: bearer(AS.admin) });
    expect(del.statusCode).toBe(204);
  });

  it('is for traders and admins only', async () => {
    expectError(await post(AS.analyst, 'https://a.example/1'), 403);
    expectError(await post(AS.compliance, 'https://a.example/1'), 403);
  });

  it("lists the owner's dead letters and replays one; another trader sees and replays none", async () => {
    const ep = (await post(AS.alice, 'https://a.example/1')).json<{ id: string }>();
    const store = createWebhookStore({ redis: r.client });
    const id = `a1|${ep.id}`;
    await store.enqueue('a1', [ep.id], 0);
    await store.deadLetter(
      {
        id,
        alertId: 'a1',
        endpointId: ep.id,
        owner: 'alice',
        attempts: 8,
        lastError: 'HTTP 503',
        at: '2026-12-06T16:00:00.000Z',
      },
      1,
    );
    const mine = await r.app.inject({ method: 'GET', url: '/v1/webhooks/dead-letters', headers: bearer(AS.alice) });
    expect(mine.json()).toEqual({ deadLetters: [expect.objectContaining({ id, attempts: 8, lastError: 'HTTP 503' })] });
    const bobs = await r.app.inject({ method: 'GET', url: '/v1/webhooks/dead-letters', headers: bearer(AS.bob) });
    expect(bobs.json()).toEqual({ deadLetters: [] });
    const replay = (user: string) =>
      r.app.inject({
        method: 'POST',
        url: `/v1/webhooks/dead-letters/${encodeURIComponent(id)}/replay`,
        headers: bearer(user),
      });
    expectError(await replay(AS.bob), 404, 'TICKDESK_API_UNKNOWN_WEBHOOK');
    expect((await replay(AS.alice)).statusCode).toBe(202);
    expect((await store.due(Date.now(), 10)).map((j) => ({ id: j.id, attempt: j.attempt }))).toEqual([
      { id, attempt: 0 },
    ]);
    expectError(await replay(AS.alice), 404, 'TICKDESK_API_UNKNOWN_WEBHOOK');
  });
});
