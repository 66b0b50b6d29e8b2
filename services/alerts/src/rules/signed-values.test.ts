import { describe, expect, it } from 'vitest';
import { Decimal } from '@tickdesk/schemas';
import { EVALUATORS, firedPerTick, rule, ticks } from './rules.test-util.js';
import type { RuleSpec } from './types.js';

/** A freezer's readings: negative, zero, and values a hair either side of each threshold. */
const SERIES = [
  '-17.5',
  '-18',
  '-18.000000000000000001',
  '-17.999999999999999999',
  '-18.5',
  '-5.5',
  '-5.499999999999999999',
  '0',
  '-0.000000000000000001',
  '0.1',
  '-20',
  '-5.5',
  '-5',
  '-18',
  '3',
  '-25',
];

/** Independent of the evaluators: decimal.js on the same series, as the semantics in rule-index.ts say. */
function expected(condition: 'crossing-down' | 'greater-than' | 'less-than', threshold: string): boolean[] {
  const t = new Decimal(threshold);
  return SERIES.map((p, i) => {
    const cur = new Decimal(p);
    if (condition === 'greater-than') return cur.gt(t);
    if (condition === 'less-than') return cur.lt(t);
    return i > 0 && new Decimal(SERIES[i - 1]!).gt(t) && cur.lte(t);
  });
}

const every = { frequency: 'every-time', cooldownSeconds: 0 } as const;
const sensor = (id: string, condition: RuleSpec['condition'], fields: Partial<RuleSpec>): RuleSpec =>
  rule(id, condition, { symbol: 'IOT.X', ...every, ...fields });

describe.each(EVALUATORS)('%s: sensor values below and at zero', (_name, create) => {
  it.each([
    ['crossing-down', '-18'],
    ['greater-than', '-5.5'],
    ['less-than', '0'],
    ['crossing-down', '0'],
    ['greater-than', '-0.000000000000000001'],
  ] as const)('%s %s fires exactly where decimal.js says', (condition, threshold) => {
    const ev = create();
    ev.upsert(sensor('r', condition, { threshold }));
    const fired = firedPerTick(ev, 'IOT.X', ticks(SERIES)).map((f) => f.length === 1);
    expect(fired).toEqual(expected(condition, threshold));
  });

  it('fires several signed thresholds passed by one tick, each once', () => {
    const ev = create();
    ev.upsert(sensor('a', 'crossing-down', { threshold: '-18' }));
    ev.upsert(sensor('b', 'crossing-down', { threshold: '-5.5' }));
    ev.upsert(sensor('c', 'crossing-down', { threshold: '0' }));
    ev.upsert(sensor('d', 'crossing-up', { threshold: '-10' }));
    expect(firedPerTick(ev, 'IOT.X', ticks(['1', '-20', '-9.9', '-10']))).toEqual([[], ['a', 'b', 'c'], ['d'], []]);
  });

  it('channels across zero, inclusive', () => {
    const ev = create();
    ev.upsert(sensor('in', 'inside-channel', { lower: '-18.5', upper: '-0.5' }));
    ev.upsert(sensor('enter', 'entering-channel', { lower: '-1', upper: '1' }));
    expect(firedPerTick(ev, 'IOT.X', ticks(['-19', '-18.5', '-0.5', '-0.4', '-1.5', '-1', '2']))).toEqual([
      [],
      ['in'],
      ['enter', 'in'],
      [],
      ['in'],
      ['enter', 'in'],
      [],
    ]);
  });

  it('moves by an amount on negative values: from a low of -20 up by 2.5, from a high of -1 down by 0.5', () => {
    const ev = create();
    ev.upsert(sensor('up', 'moving-up', { amount: '2.5', windowSeconds: 60 }));
    ev.upsert(sensor('down', 'moving-down', { amount: '0.5', windowSeconds: 60 }));
    expect(firedPerTick(ev, 'IOT.X', ticks(['-20', '-17.6', '-17.5', '-1', '-1.4', '-1.5']))).toEqual([
      [],
      [],
      ['up'],
      ['up'],
      ['up'],
      ['down', 'up'],
    ]);
  });

  it('percentage moves from a reference at or below zero hold whatever the percentage (the formula taken literally)', () => {
    const ev = create();
    ev.upsert(sensor('up', 'moving-up-percent', { amount: '50', windowSeconds: 60 }));
    ev.upsert(sensor('down', 'moving-down-percent', { amount: '100', windowSeconds: 60 }));
    expect(firedPerTick(ev, 'IOT.X', ticks(['-2', '-3']))).toEqual([
      ['down', 'up'],
      ['down', 'up'],
    ]);
  });
});
