import { describe, expect, it } from 'vitest';
import type { Rule } from '@tickdesk/schemas';
import { draftOf, emptyDraft, toRuleInput } from './rule-draft.js';
import { legsProblem } from './rule-legs-draft.js';

const known = [
  { symbol: 'BTCUSDT' },
  { symbol: 'ETHUSDT' },
  { symbol: 'SOLUSDT' },
  { symbol: 'IOT.T', kind: 'sensor' },
];
const stored = (fields: Partial<Rule>): Rule => ({
  id: 'r1',
  owner: 'alice',
  status: 'active',
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  version: 1,
  symbol: 'BTCUSDT',
  condition: 'crossing-up',
  threshold: '0',
  frequency: 'once',
  priority: 'normal',
  ...fields,
});

describe('rule draft across instruments', () => {
  const spread = {
    ...emptyDraft('BTCUSDT'),
    shape: 'spread' as const,
    threshold: '0',
    legs: [
      { symbol: 'ignored: the rule instrument', coefficient: '1' },
      { symbol: 'ETHUSDT', coefficient: ' -15 ' },
    ],
    backup: 'bob',
    escalation: [
      { to: 'recipient' as const, after: '0' },
      { to: 'webhook' as const, after: '60' },
      { to: 'backup' as const, after: '2m' },
    ],
  };

  it('a spread with coefficient "-15" and an escalation chain round-trip exactly', () => {
    const input = toRuleInput(spread);
    expect(input).toEqual({
      symbol: 'BTCUSDT',
      condition: 'crossing-up',
      threshold: '0',
      frequency: 'once',
      priority: 'normal',
      backup: 'bob',
      series: {
        kind: 'spread',
        legs: [
          { symbol: 'BTCUSDT', coefficient: '1' },
          { symbol: 'ETHUSDT', coefficient: '-15' },
        ],
      },
      escalation: [
        { to: 'recipient', afterSeconds: 0 },
        { to: 'webhook', afterSeconds: 60 },
        { to: 'backup', afterSeconds: 120 },
      ],
    });
    expect(legsProblem(input, known)).toBeUndefined();
    const back = draftOf(stored(input));
    expect(back).toMatchObject({ shape: 'spread', kept: {} });
    expect(back.legs).toEqual([
      { symbol: 'BTCUSDT', coefficient: '1' },
      { symbol: 'ETHUSDT', coefficient: '-15' },
    ]);
    expect(toRuleInput(back)).toEqual(input);
  });

  it('refuses "1e3", zero and a repeated leg beside the coefficient or symbol, as the server names them', () => {
    const withLeg = (symbol: string, coefficient: string) =>
      toRuleInput({ ...spread, legs: [spread.legs[0]!, { symbol, coefficient }] });
    expect(legsProblem(withLeg('ETHUSDT', '1e3'), known)).toEqual({
      field: 'series.legs[1].coefficient',
      message: 'must be an exact decimal such as -15 or 0.5',
    });
    expect(legsProblem(withLeg('ETHUSDT', '0.0'), known)?.field).toBe('series.legs[1].coefficient');
    expect(legsProblem(withLeg('ETHUSDT', '0.5'), known)).toBeUndefined();
    expect(legsProblem(withLeg('BTCUSDT', '2'), known)).toEqual({
      field: 'series.legs[1].symbol',
      message: 'BTCUSDT is already a leg',
    });
    // A backup step without a backup.
    expect(legsProblem(toRuleInput({ ...spread, backup: '' }), known)).toEqual({
      field: 'escalation[2].to',
      message: 'the rule has no backup to escalate to',
    });
    // Whether an instrument exists is the server's to say (the watchlist may not list it yet); a sensor leg is refused.
    expect(legsProblem(withLeg('ADAUSDT', '2'), known)).toBeUndefined();
    expect(legsProblem(withLeg('IOT.T', '2'), known)?.field).toBe('series.legs[1].symbol');
    expect(legsProblem(withLeg('ETHUSDT', '1e3'), [])?.field).toBe('series.legs[1].coefficient');
  });

  it('a ratio sends the rule instrument as numerator; AND conditions only on one instrument', () => {
    const ratio = { ...emptyDraft('BTCUSDT'), shape: 'ratio' as const, threshold: '20', denominator: 'ETHUSDT' };
    expect(toRuleInput(ratio).series).toEqual({ kind: 'ratio', numerator: 'BTCUSDT', denominator: 'ETHUSDT' });
    const and = [
      { symbol: 'ETHUSDT', condition: 'less-than' as const, threshold: ' 3000 ', lower: '9', upper: '' },
      { symbol: 'IOT.T', condition: 'inside-channel' as const, threshold: '5', lower: '-20', upper: '-10' },
    ];
    const single = { ...emptyDraft('BTCUSDT'), condition: 'greater-than' as const, threshold: '1', and };
    const input = toRuleInput(single);
    expect(input.and).toEqual([
      { symbol: 'ETHUSDT', condition: 'less-than', threshold: '3000' },
      { symbol: 'IOT.T', condition: 'inside-channel', lower: '-20', upper: '-10' },
    ]);
    expect(legsProblem(input, known)).toBeUndefined();
    expect(toRuleInput(draftOf(stored(input as Partial<Rule>)))).toEqual(input);
    // The conditions typed stay in the draft but a spread does not send them (the server refuses both).
    expect(toRuleInput({ ...single, shape: 'spread' })).not.toHaveProperty('and');
    expect(toRuleInput({ ...single, and: [] })).not.toHaveProperty('and');
  });
});
