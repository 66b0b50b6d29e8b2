import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { fakeDesk, json } from '../../test/fakes.js';

const stored = (over: object = {}) => ({
  id: 'r1',
  owner: 'alice',
  status: 'active',
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  version: 1,
  symbol: 'BTCUSDT',
  condition: 'crossing-up',
  threshold: '65000',
  frequency: 'once',
  priority: 'normal',
  ...over,
});

describe('rules store', () => {
  it('puts a 422 beside the named field and keeps the draft', async () => {
    const t = fakeDesk({
      routes: {
        'POST /rules': () =>
          json(422, {
            code: 'TICKDESK_API_INVALID_RULE',
            message: 'rule field "windowSeconds": must be a whole number of seconds from 1 to 86400',
          }),
      },
    });
    await t.login();
    t.desk.rules.draft.update((d) => ({
      ...d,
      symbol: 'BTCUSDT',
      condition: 'moving-up',
      amount: '50',
      window: 'soon',
    }));
    expect(await t.desk.rules.save()).toBe(false);
    expect(get(t.desk.rules.errors)).toEqual({
      fields: { windowSeconds: 'must be a whole number of seconds from 1 to 86400' },
      general: '',
    });
    expect(get(t.desk.rules.draft)).toMatchObject({ condition: 'moving-up', amount: '50', window: 'soon' });
  });

  it('creates, pauses with the version read, and deletes', async () => {
    const t = fakeDesk({
      routes: {
        'POST /rules': ({ body }) => json(201, stored(body as object)),
        'POST /rules/r1/pause': ({ headers }) =>
          json(200, stored({ status: 'paused', version: 2, ifMatch: headers['if-match'] })),
        'DELETE /rules/r1': () => new Response(null, { status: 204 }),
      },
    });
    await t.login();
    t.desk.rules.draft.update((d) => ({ ...d, symbol: 'BTCUSDT', threshold: '65000' }));
    expect(await t.desk.rules.save()).toBe(true);
    expect(get(t.desk.rules.draft).threshold).toBe('');
    await t.desk.rules.pause(get(t.desk.rules.list)[0] as never);
    expect(get(t.desk.rules.list)[0]).toMatchObject({ status: 'paused', ifMatch: '"1"' });
    await t.desk.rules.remove(get(t.desk.rules.list)[0] as never);
    expect(get(t.desk.rules.list)).toEqual([]);
  });

  it('a conflict on edit keeps the changes and offers the latest version', async () => {
    const t = fakeDesk({
      routes: {
        'GET /rules': () => json(200, { rules: [stored({ version: 5 })] }),
        'PUT /rules/r1': () =>
          json(409, { code: 'TICKDESK_API_CONFLICT', message: 'rule r1 is no longer at version 1: read it again' }),
      },
    });
    await t.login();
    t.desk.rules.edit(stored() as never);
    t.desk.rules.draft.update((d) => ({ ...d, threshold: '66000' }));
    expect(await t.desk.rules.save()).toBe(false);
    expect(get(t.desk.rules.draft)).toMatchObject({ threshold: '66000', version: 5, editingId: 'r1' });
    expect(get(t.desk.rules.errors).general).toMatch(/version 5/);
  });
});
