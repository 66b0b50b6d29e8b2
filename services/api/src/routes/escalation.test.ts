import { describe, expect, it } from 'vitest';
import { createEscalationStore } from '@tickdesk/alerts';
import { expectError } from '../app.test-util.js';
import escalationRoutes from './escalation.js';
import rulesRoutes from './rules.js';
import { AS, bearer, ruleInput, useRouteApp } from './route.test-util.js';

const r = useRouteApp([escalationRoutes, rulesRoutes]);
const put = (user: string, payload: unknown) =>
  r.app.inject({ method: 'PUT', url: '/v1/me/escalation', headers: bearer(user), payload: payload as object });
const CHAIN = [{ to: 'recipient' }, { to: 'webhook', afterSeconds: 60 }, { to: 'backup', afterSeconds: 120 }];

describe('/v1/me/escalation', () => {
  it("sets, reads and removes a trader's default chain, the one the engine reads", async () => {
    expectError(await r.app.inject({ method: 'GET', url: '/v1/me/escalation', headers: bearer(AS.alice) }), 404);
    const res = await put(AS.alice, { escalation: CHAIN });
    expect(res.statusCode, res.body).toBe(200);
    const written = [
      { to: 'recipient', afterSeconds: 0 },
      { to: 'webhook', afterSeconds: 60 },
      { to: 'backup', afterSeconds: 120 },
    ];
    expect(res.json()).toEqual({ escalation: written });
    const got = await r.app.inject({ method: 'GET', url: '/v1/me/escalation', headers: bearer(AS.alice) });
    expect(got.json()).toEqual({ escalation: written });
    expect(await createEscalationStore({ redis: r.client }).defaultOf('alice')).toEqual(written);
    expect(await createEscalationStore({ redis: r.client }).defaultOf('bob')).toBeUndefined();
    const del = await r.app.inject({ method: 'DELETE', url: '/v1/me/escalation', headers: bearer(AS.alice) });
    expect(del.statusCode).toBe(204);
    expectError(await r.app.inject({ method: 'DELETE', url: '/v1/me/escalation', headers: bearer(AS.alice) }), 404);
  });

  it('refuses a bad chain with 422 naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ escalation: [] }, /"escalation": must have at least one step/],
      [{ escalation: Array.from({ length: 7 }, () => ({ to: 'desk' })) }, /"escalation": must have at most 6 steps/],
      [{ escalation: [{ to: 'pager' }] }, /"escalation\[0\]\.to": must be one of/],
      [{ escalation: [{ to: 'desk', afterSeconds: 86_401 }] }, /"escalation\[0\]\.afterSeconds"/],
      [
        {
          escalation: [
            { to: 'desk', afterSeconds: 60 },
            { to: 'webhook', afterSeconds: 30 },
          ],
        },
        /"escalation\[1\]\.afterSeconds"/,
      ],
      [{ escalation: CHAIN, extra: 1 }, /"extra": unknown field/],
    ];
    for (const [body, message] of cases)
      expectError(await put(AS.alice, body), 422, 'TICKDESK_API_INVALID_ESCALATION', message);
  });

  it('is for traders only', async () => {
    expectError(await put(AS.compliance, { escalation: CHAIN }), 403);
    expectError(await put(AS.admin, { escalation: CHAIN }), 403);
  });
});

describe('a rule with an escalation chain, by REST', () => {
  const post = (payload: object) =>
    r.app.inject({ method: 'POST', url: '/v1/rules', headers: bearer(AS.alice), payload });

  it('is stored and answered with its chain', async () => {
    const res = await post({ ...ruleInput(), backup: 'bob', escalation: CHAIN });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<{ escalation: unknown[] }>().escalation).toHaveLength(3);
    const id = res.json<{ id: string }>().id;
    const got = await r.app.inject({ method: 'GET', url: `/v1/rules/${id}`, headers: bearer(AS.alice) });
    expect(got.json<{ escalation: unknown }>().escalation).toEqual(res.json<{ escalation: unknown }>().escalation);
  });

  it('is refused with 422 naming escalation[i] when it cannot be walked', async () => {
    expectError(
      await post({ ...ruleInput(), escalation: CHAIN }),
      422,
      'TICKDESK_API_INVALID_RULE',
      /"escalation\[2\]\.to": the rule has no backup/,
    );
    expectError(
      await post({ ...ruleInput(), escalation: [{ to: 'webhook' }, { to: 'recipient' }] }),
      422,
      'TICKDESK_API_INVALID_RULE',
      /"escalation\[1\]\.to": recipient can only be the first step/,
    );
    expectError(
      await post({ ...ruleInput(), escalation: [{ to: 'desk', afterSeconds: -5 }] }),
      422,
      'TICKDESK_API_INVALID_RULE',
      /"escalation\[0\]\.afterSeconds"/,
    );
  });
});
