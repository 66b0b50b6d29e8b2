import { describe, expect, it } from 'vitest';
import { createCrossEvaluator } from './cross-evaluator.js';
import { createReferenceCrossEvaluator } from './reference-cross.js';
import { at, S } from './rules.test-util.js';
import type { RuleEvaluator, RuleSpec } from './types.js';

const EVALUATORS: Array<[string, () => RuleEvaluator]> = [
  ['cross evaluator', createCrossEvaluator],
  ['BigInt reference', createReferenceCrossEvaluator],
];
const spread = (id: string, fields: Partial<RuleSpec>): RuleSpec => ({
  id,
  symbol: 'BTC',
  condition: 'crossing',
  threshold: '0',
  frequency: 'once',
  series: {
    kind: 'spread',
    legs: [
      { symbol: 'BTC', coefficient: '1' },
      { symbol: 'ETH', coefficient: '-15' },
    ],
  },
  ...fields,
});
/** Ticks as [symbol, price], one second apart; the ids of the rules fired on each. */
function play(ev: RuleEvaluator, ticks: Array<[string, string]>): string[][] {
  return ticks.map(([symbol, price], i) => ev.evaluate(symbol, [at(price, 10 * S + i * S)]).map((f) => f.ruleId));
}

describe.each(EVALUATORS)('%s', (_, create) => {
  it('a series has no value until every leg has a price: the tick that completes it is no crossing', () => {
    const ev = create();
    ev.upsert(spread('r1', {}));
    // BTC alone; ETH completes the legs at −500 (no value before: no crossing); BTC 64500 brings it to 0, a crossing.
    expect(
      play(ev, [
        ['BTC', '64000'],
        ['ETH', '4300'],
        ['BTC', '64500'],
        ['BTC', '64500.5'],
      ]),
    ).toEqual([[], [], ['r1'], []]);
  });

  it('fires on the tick of either leg, and the firing names that leg and every price', () => {
    const ev = create();
    ev.upsert(spread('r1', { frequency: 'every-time', cooldownSeconds: 0 }));
    ev.seedPrice('BTC', '64000', 9 * S);
    ev.seedPrice('ETH', '4300', 9 * S);
    const [f] = ev.evaluate('ETH', [at('4200', 10 * S)]);
    expect(f).toMatchObject({
      ruleId: 'r1',
      symbol: 'BTC',
      leg: 'ETH',
      price: '1000',
      previousPrice: '-500',
      legs: [
        { symbol: 'BTC', price: '64000' },
        { symbol: 'ETH', price: '4200' },
      ],
    });
  });

  it('a ratio equal to its level is not above it; a hair above is', () => {
    const ev = create();
    ev.upsert({
      id: 'r1',
      symbol: 'A',
      condition: 'greater-than',
      threshold: '3',
      frequency: 'once',
      series: { kind: 'ratio', numerator: 'A', denominator: 'B' },
    });
    // 0.3 / 0.1 is exactly 3 (2.9999999999999996 in doubles); 0.3000000000000001 / 0.1 is above.
    expect(
      play(ev, [
        ['B', '0.1'],
        ['A', '0.3'],
        ['A', '0.3000000000000001'],
      ]),
    ).toEqual([[], [], ['r1']]);
  });

  it("an AND fires on the tick that makes all hold; a crossing in it only on its own instrument's tick", () => {
    const ev = create();
    ev.upsert({
      id: 'r1',
      symbol: 'EUR',
      condition: 'greater-than',
      threshold: '1.1',
      frequency: 'once',
      and: [{ symbol: 'JPY', condition: 'crossing-up', threshold: '150' }],
    });
    expect(
      play(ev, [
        ['EUR', '1.05'],
        ['JPY', '149'],
        ['JPY', '151'], // crosses, EUR not above
        ['EUR', '1.2'], // EUR above, no crossing on this tick
        ['JPY', '149.5'],
        ['JPY', '150'], // crosses with EUR above
      ]),
    ).toEqual([[], [], [], [], [], ['r1']]);
  });

  it('an AND of levels fires on whichever tick makes the last one hold', () => {
    const ev = create();
    ev.upsert({
      id: 'r1',
      symbol: 'EUR',
      condition: 'greater-than',
      threshold: '1.1',
      frequency: 'once',
      and: [{ symbol: 'JPY', condition: 'less-than', threshold: '150' }],
    });
    expect(
      play(ev, [
        ['EUR', '1.2'],
        ['JPY', '151'],
        ['JPY', '149'],
      ]),
    ).toEqual([[], [], ['r1']]);
  });
});
