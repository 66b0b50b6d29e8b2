import { describe, expect, it } from 'vitest';
import { NS_DATA, xml } from '@tickdesk/xmpp';
import { addForm, formInput } from './adhoc-forms.js';
import { createRuleCommands } from './rule-commands.js';
import { memoryRules } from './rule-commands.test-util.js';

/** A submitted form; an array is a text-multi field's values, one a line (XEP-0004 §3.3). */
const submit = (fields: Record<string, string | string[]>) =>
  xml(
    'x',
    { xmlns: NS_DATA, type: 'submit' },
    ...Object.entries(fields).map(([k, v]) =>
      xml('field', { var: k }, ...(Array.isArray(v) ? v : [v]).map((s) => xml('value', {}, s))),
    ),
  );
const base = { symbol: 'BTCUSDT', condition: 'crossing', threshold: '0' };
const commands = () =>
  createRuleCommands({
    rules: memoryRules(10).store,
    symbols: new Set(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']),
    traders: () => new Set(['alice', 'bob']),
  });
/** The form submitted by alice, through the shared validation. */
async function add(fields: Record<string, string | string[]>) {
  const form = formInput(submit(fields));
  if (!form.ok) return { ok: false as const, field: form.field, text: form.problem };
  return commands().add('alice', form.input);
}

describe('the ad-hoc add form: rules across instruments and escalation chains', () => {
  it('offers kind, legs, denominator, and, escalation with XEP-0004 field types', () => {
    const types = new Map(
      addForm(['BTCUSDT', 'ETHUSDT'])
        .getChildren('field')
        .map((f) => [f.attrs.var, f.attrs.type]),
    );
    expect(
      Object.fromEntries(['kind', 'legs', 'denominator', 'and', 'escalation'].map((v) => [v, types.get(v)])),
    ).toEqual({
      kind: 'list-single',
      legs: 'text-multi',
      denominator: 'list-single',
      and: 'text-multi',
      escalation: 'text-multi',
    });
  });

  it('reads a spread from its leg lines, one value a line or newlines in one value', () => {
    const legs = [
      { symbol: 'BTCUSDT', coefficient: '1' },
      { symbol: 'ETHUSDT', coefficient: '-15' },
    ];
    for (const lines of [['BTCUSDT', 'ETHUSDT -15'], ['BTCUSDT 1\r\nethusdt -15\n']]) {
      const form = formInput(submit({ ...base, kind: 'spread', legs: lines }));
      expect(form).toMatchObject({ ok: true, input: { ...base, series: { kind: 'spread', legs } } });
    }
  });

  it('adds a spread, a ratio, an AND rule and a chain through the shared validation', async () => {
    const spread = await add({ ...base, kind: 'spread', legs: ['BTCUSDT 1', 'ETHUSDT -15.0'] });
    expect(spread.ok && spread.rule?.series).toEqual({
      kind: 'spread',
      legs: [
        { symbol: 'BTCUSDT', coefficient: '1' },
        { symbol: 'ETHUSDT', coefficient: '-15' },
      ],
    });
    const ratio = await add({
      ...base,
      threshold: '19.5',
      condition: 'greater-than',
      kind: 'ratio',
      denominator: 'ETHUSDT',
    });
    expect(ratio.ok && ratio.rule?.series).toEqual({ kind: 'ratio', numerator: 'BTCUSDT', denominator: 'ETHUSDT' });
    const and = await add({
      ...base,
      condition: 'greater-than',
      and: ['ETHUSDT below 3000', 'SOLUSDT inside-channel 140 150'],
      backup: 'bob',
      escalation: ['recipient', 'webhook after 60s', 'backup after 2m', 'desk after 5m'],
    });
    expect(and.ok && and.rule).toMatchObject({
      and: [
        { symbol: 'ETHUSDT', condition: 'less-than', threshold: '3000' },
        { symbol: 'SOLUSDT', condition: 'inside-channel', lower: '140', upper: '150' },
      ],
      escalation: [
        { to: 'recipient', afterSeconds: 0 },
        { to: 'webhook', afterSeconds: 60 },
        { to: 'backup', afterSeconds: 120 },
        { to: 'desk', afterSeconds: 300 },
      ],
    });
  });

  it.each([
    [{ kind: 'spread', legs: ['BTCUSDT', 'ETHUSDT 1e3'] }, 'series.legs[1].coefficient', /exact decimal/],
    [{ kind: 'spread', legs: ['BTCUSDT', 'ETHUSDT 0'] }, 'series.legs[1].coefficient', /must not be zero/],
    [{ kind: 'spread', legs: ['BTCUSDT', 'ETHUSDT -15 2'] }, 'legs', /line 2: unexpected "2"/],
    [{ kind: 'spread', legs: ['ETHUSDT -15', 'BTCUSDT'] }, 'series.legs[0].symbol', /must be the rule's symbol/],
    [{ kind: 'ratio' }, 'series.denominator', /instrument symbol/],
    [{ kind: 'pair' }, 'kind', /must be one of one, spread, ratio/],
    [{ legs: ['BTCUSDT', 'ETHUSDT -1'] }, 'legs', /only with kind spread/],
    [{ kind: 'spread', legs: ['BTCUSDT'], denominator: 'ETHUSDT' }, 'denominator', /only with kind ratio/],
    [{ condition: 'greater-than', and: ['ETHUSDT up 5 in 5m'] }, 'and', /line 1: Unknown condition "up"/],
    [{ escalation: ['desk after soon'] }, 'escalation', /line 1: "after" needs a wait/],
    [{ escalation: ['webhook, desk'] }, 'escalation', /line 1: one step a line/],
    [{ escalation: ['desk after 5m', 'webhook after 1m'] }, 'escalation[1].afterSeconds', /must not be less/],
  ])('refuses %j naming %s', async (fields, field, message) => {
    const out = await add({ ...base, ...fields });
    expect(out).toMatchObject({ ok: false, field });
    expect(out.text).toMatch(message);
  });
});
