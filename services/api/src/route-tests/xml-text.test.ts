import { describe, expect, it } from 'vitest';
import type { Rule } from '@tickdesk/schemas';
import rulesRoutes from '../routes/rules.js';
import { AS, bearer, ruleInput, useRouteApp } from '../routes/route.test-util.js';

const t = useRouteApp([rulesRoutes]);

// XML 1.0 forbids these characters: a rule message holding one would make the server
// close the alert engine's stream each time the alert is sent.
describe('rule text that could not reach a stanza', () => {
  it.each([
    ['a bell', 'one\u0007bell', 'U+0007'],
    ['NUL', '\u0000', 'U+0000'],
    ['a C1 control', 'a\u0085b', 'U+0085'],
    ['U+FFFE', '\uFFFE', 'U+FFFE'],
  ])('POST refuses a message with %s with 422 naming the field', async (_what, message, name) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/rules',
      headers: bearer(AS.alice),
      payload: ruleInput({ message }),
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({ code: 'TICKDESK_API_INVALID_RULE' });
    expect(res.json<{ message: string }>().message).toContain('rule field "message"');
    expect(res.json<{ message: string }>().message).toContain(name);
    expect(await t.app.deps.rules.list({ owner: 'alice' })).toEqual([]);
  });

  it('a lone surrogate sent as a JSON escape is refused too', async () => {
    const payload = JSON.stringify(ruleInput({ message: 'x' })).replace('"x"', '"\\ud83d"');
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/rules',
      headers: { ...bearer(AS.alice), 'content-type': 'application/json' },
      payload,
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json<{ message: string }>().message).toMatch(/rule field "message".*unpaired surrogate/);
  });

  it('PUT refuses it too and keeps the stored rule; TAB and newlines are fine', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/rules',
      headers: bearer(AS.alice),
      payload: ruleInput({ message: 'line one\n\tline two' }),
    });
    expect(created.statusCode, created.body).toBe(201);
    const rule = created.json<Rule>();
    const res = await t.app.inject({
      method: 'PUT',
      url: `/v1/rules/${rule.id}`,
      headers: bearer(AS.alice),
      payload: ruleInput({ message: 'bell\u0007' }),
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json<{ message: string }>().message).toContain('rule field "message"');
    expect((await t.app.deps.rules.get(rule.id))?.message).toBe('line one\n\tline two');
  });
});
