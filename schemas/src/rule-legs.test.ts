import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { RuleInput } from './rule.js';
import { validateRuleInput, type RuleValidationContext } from './rule-validation.js';
import { parseTimestamp } from './time.js';

const ctx: RuleValidationContext = {
  symbols: new Set(['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'ADAUSDT', 'DOGEUSDT', 'FREEZER1']),
  sensors: new Map([['FREEZER1', { min: '-40' }]]),
  nowMicros: parseTimestamp('2026-03-01T12:00:00Z')!,
};
const spread = {
  symbol: 'BTCUSDT',
  condition: 'crossing',
  threshold: '0',
  series: {
    kind: 'spread',
    legs: [
      { symbol: 'BTCUSDT', coefficient: '1' },
      { symbol: 'ETHUSDT', coefficient: '-15' },
    ],
  },
  frequency: 'once',
  priority: 'normal',
};
const ratio = {
  symbol: 'BTCUSDT',
  condition: 'greater-than',
  threshold: '19.5',
  series: { kind: 'ratio', numerator: 'BTCUSDT', denominator: 'ETHUSDT' },
  frequency: 'once',
  priority: 'normal',
};
const and = {
  symbol: 'BTCUSDT',
  condition: 'crossing-up',
  threshold: '65000',
  and: [{ symbol: 'ETHUSDT', condition: 'greater-than', threshold: '3000' }],
  frequency: 'once',
  priority: 'normal',
};

function refused(input: unknown): { field: string; message: string } {
  const r = validateRuleInput(input, ctx);
  if (r.ok) throw new Error(`accepted ${JSON.stringify(input)}`);
  return { field: r.field, message: r.message };
}

describe('rules across instruments: accepted', () => {
  it.each([
    ['a spread', spread],
    ['a ratio', ratio],
    ['an AND', and],
  ])('%s, whose value satisfies the RuleInput schema', (_, input) => {
    const r = validateRuleInput(input, ctx);
    expect(r).toEqual({ ok: true, value: input });
    expect(Value.Check(RuleInput, r.ok && r.value)).toBe(true);
  });

  it('a spread may have a negative level and canonical coefficients', () => {
    const legs = [
      { symbol: 'BTCUSDT', coefficient: '1.50' },
      { symbol: 'ETHUSDT', coefficient: '-15.0' },
    ];
    const r = validateRuleInput({ ...spread, threshold: '-250.50', series: { kind: 'spread', legs } }, ctx);
    expect(r.ok && r.value.threshold).toBe('-250.5');
    expect(r.ok && r.value.series).toEqual({
      kind: 'spread',
      legs: [
        { symbol: 'BTCUSDT', coefficient: '1.5' },
        { symbol: 'ETHUSDT', coefficient: '-15' },
      ],
    });
  });

  it('an AND may name a sensor beside a market instrument', () => {
    const r = validateRuleInput(
      { ...and, and: [{ symbol: 'FREEZER1', condition: 'greater-than', threshold: '-18.5' }] },
      ctx,
    );
    expect(r.ok).toBe(true);
  });
});

describe('rules across instruments: refused, the field named', () => {
  const legs = (...l: Array<[string, unknown]>) => ({
    ...spread,
    series: { kind: 'spread', legs: l.map(([symbol, coefficient]) => ({ symbol, coefficient })) },
  });
  it.each([
    ['an unknown instrument in a leg', legs(['BTCUSDT', '1'], ['NOPE', '-15']), 'series.legs[1].symbol', /unknown/],
    ['a zero coefficient', legs(['BTCUSDT', '1'], ['ETHUSDT', '0.00']), 'series.legs[1].coefficient', /zero/],
    [
      'a coefficient that is not a decimal',
      legs(['BTCUSDT', '1'], ['ETHUSDT', '1e3']),
      'series.legs[1].coefficient',
      /decimal/,
    ],
    [
      'a coefficient given as a number',
      legs(['BTCUSDT', '1'], ['ETHUSDT', -15]),
      'series.legs[1].coefficient',
      /quotes/,
    ],
    ['a leg repeated', legs(['BTCUSDT', '1'], ['ETHUSDT', '-1'], ['ETHUSDT', '2']), 'series.legs[2].symbol', /already/],
    ['one leg only', legs(['BTCUSDT', '1']), 'series.legs', /from 2 to 5/],
    [
      'six legs',
      legs(['BTCUSDT', '1'], ['ETHUSDT', '1'], ['SOLUSDT', '1'], ['XRPUSDT', '1'], ['ADAUSDT', '1'], ['DOGEUSDT', '1']),
      'series.legs',
      /from 2 to 5/,
    ],
    [
      'a first leg that is not the rule symbol',
      legs(['ETHUSDT', '1'], ['BTCUSDT', '-1']),
      'series.legs[0].symbol',
      /rule's symbol/,
    ],
    ['a sensor in a spread', legs(['BTCUSDT', '1'], ['FREEZER1', '-1']), 'series.legs[1].symbol', /sensor/],
    [
      'a ratio of an instrument by itself',
      { ...ratio, series: { kind: 'ratio', numerator: 'BTCUSDT', denominator: 'BTCUSDT' } },
      'series.denominator',
      /repeat/,
    ],
    [
      'a ratio without a denominator',
      { ...ratio, series: { kind: 'ratio', numerator: 'BTCUSDT' } },
      'series.denominator',
      /symbol/,
    ],
    [
      'an unknown instrument as denominator',
      { ...ratio, series: { kind: 'ratio', numerator: 'BTCUSDT', denominator: 'NOPE' } },
      'series.denominator',
      /unknown/,
    ],
    ['a negative ratio level', { ...ratio, threshold: '-1' }, 'threshold', /negative/],
    [
      'a move on a ratio',
      { ...ratio, condition: 'moving-up', threshold: undefined, amount: '1', windowSeconds: 60 },
      'condition',
      /ratio/,
    ],
    [
      'a percentage move on a spread',
      { ...spread, condition: 'moving-up-percent', threshold: undefined, amount: '1', windowSeconds: 60 },
      'condition',
      /percentage/,
    ],
    [
      'more than five conditions',
      {
        ...and,
        and: Array.from({ length: 5 }, () => ({ symbol: 'ETHUSDT', condition: 'greater-than', threshold: '1' })),
      },
      'and',
      /at most 5/,
    ],
    ['an empty AND', { ...and, and: [] }, 'and', /from 1 to 4/],
    [
      'an unknown instrument in an AND',
      { ...and, and: [{ symbol: 'NOPE', condition: 'less-than', threshold: '1' }] },
      'and[0].symbol',
      /unknown/,
    ],
    [
      'two crossings in an AND',
      { ...and, and: [{ symbol: 'ETHUSDT', condition: 'crossing-down', threshold: '1' }] },
      'and[0].condition',
      /at most one/,
    ],
    [
      'a move in an AND',
      { ...and, and: [{ symbol: 'ETHUSDT', condition: 'moving-up', threshold: '1' }] },
      'and[0].condition',
      /must be one of/,
    ],
    [
      'a channel without bounds in an AND',
      { ...and, and: [{ symbol: 'ETHUSDT', condition: 'inside-channel' }] },
      'and[0].lower',
      /required/,
    ],
    ['a series with an AND', { ...spread, and: and.and }, 'and', /series/],
  ])('%s', (_, input, field, message) => {
    const r = refused(input);
    expect(r.field).toBe(field);
    expect(r.message).toMatch(message);
  });
});
