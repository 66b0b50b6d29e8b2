import { describe, expect, it } from 'vitest';
import type { Rule } from '@tickdesk/schemas';
import { alertKeys } from '@tickdesk/store';
import rulesRoutes from './rules.js';
import { AS, bearer, ruleInput, useRouteApp } from './route.test-util.js';

const t = useRouteApp([rulesRoutes]);
const repeating = ruleInput({ frequency: 'every-time', cooldownSeconds: 60 });
const create = async (extra: object) => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/rules',
    headers: bearer(AS.alice),
    payload: { ...repeating, ...extra },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Rule>();
};
const listed = async (id: string) =>
  (await t.app.inject({ url: '/v1/rules', headers: bearer(AS.alice) }))
    .json<{ rules: Rule[] }>()
    .rules.find((r) => r.id === id);

describe('rules over REST with flap control', () => {
  it('stores the three fields and answers 422 naming one out of bounds', async () => {
    const r = await create({ maxFirings: 5, minGapSeconds: 60, groupWindowSeconds: 30 });
    expect(r).toMatchObject({ maxFirings: 5, minGapSeconds: 60, groupWindowSeconds: 30 });
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v1/rules',
      headers: bearer(AS.alice),
      payload: { ...repeating, groupWindowSeconds: 3_601 },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json<{ message: string }>().message).toContain('"groupWindowSeconds"');
  });

  it('shows a rule rate-capped while its cap holds, and an open group, from the engine’s flap state', async () => {
    const r = await create({ groupWindowSeconds: 30 });
    expect(await listed(r.id)).not.toHaveProperty('limited');
    const now = Date.now();
    await t.client.hset(alertKeys().flap(r.id), {
      capSince: now - 5_000,
      capUntil: now + 55_000,
      capDetail: 'per-owner cap 60/60s',
      group: 'a0123',
      groupUntil: now + 20_000,
      groupN: 3,
    });
    const shown = await listed(r.id);
    expect(shown?.limited).toEqual({
      reason: 'rate-cap',
      since: new Date(now - 5_000).toISOString(),
      until: new Date(now + 55_000).toISOString(),
      detail: 'per-owner cap 60/60s',
    });
    expect(shown?.grouping).toEqual({ alertId: 'a0123', until: new Date(now + 20_000).toISOString(), firings: 3 });
    const one = (await t.app.inject({ url: `/v1/rules/${r.id}`, headers: bearer(AS.alice) })).json<Rule>();
    expect(one.limited?.reason).toBe('rate-cap');
    // The cap's window over: no longer limited.
    await t.client.hset(alertKeys().flap(r.id), { capUntil: now - 1 });
    expect(await listed(r.id)).not.toHaveProperty('limited');
  });
});
