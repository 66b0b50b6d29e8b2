import { describe, expect, it } from 'vitest';
import type { Rule } from '@tickdesk/schemas';
import { escalationText, legsText, seriesText, waitText } from './rule-extra-text.js';

const rule: Rule = {
  id: 'r1',
  owner: 'alice',
  symbol: 'BTCUSDT',
  condition: 'crossing',
  threshold: '0',
  frequency: 'once',
  priority: 'normal',
  status: 'active',
  createdAt: '2026-12-06T10:00:00Z',
  updatedAt: '2026-12-06T10:00:00Z',
  version: 1,
};
const leg = (symbol: string, coefficient: string) => ({ symbol, coefficient });

describe('what the rules list says of a rule across instruments and of its escalation chain', () => {
  it('says nothing more of a single-instrument rule without a chain of its own', () => {
    expect(legsText(rule)).toBeUndefined();
    expect(escalationText(rule)).toBeUndefined();
  });

  it('writes a spread with its signs and coefficients, a ratio with a slash', () => {
    const spread = { kind: 'spread' as const, legs: [leg('BTCUSDT', '1'), leg('ETHUSDT', '-15')] };
    expect(legsText({ ...rule, series: spread })).toBe('BTCUSDT − 15 × ETHUSDT crosses 0');
    expect(
      seriesText({ kind: 'spread', legs: [leg('BTCUSDT', '-0.5'), leg('ETHUSDT', '1'), leg('SOLUSDT', '-1')] }),
    ).toBe('−0.5 × BTCUSDT + ETHUSDT − SOLUSDT');
    const ratio = { kind: 'ratio' as const, numerator: 'BTCUSDT', denominator: 'ETHUSDT' };
    expect(legsText({ ...rule, condition: 'greater-than', threshold: '19.5', series: ratio })).toBe(
      'BTCUSDT / ETHUSDT > 19.5',
    );
    expect(
      legsText({
        ...rule,
        condition: 'exiting-channel',
        threshold: undefined,
        lower: '-5',
        upper: '5',
        series: spread,
      }),
    ).toBe('BTCUSDT − 15 × ETHUSDT leaves −5–5');
    expect(
      legsText({
        ...rule,
        condition: 'moving-up',
        threshold: undefined,
        amount: '40',
        windowSeconds: 300,
        series: spread,
      }),
    ).toBe('BTCUSDT − 15 × ETHUSDT rises by 40 within 5 min');
  });

  it('joins the conditions of an AND rule', () => {
    expect(
      legsText({
        ...rule,
        condition: 'greater-than',
        threshold: '65000',
        and: [
          { symbol: 'ETHUSDT', condition: 'less-than', threshold: '3000' },
          { symbol: 'IOT.SITE1.TEMP', condition: 'inside-channel', lower: '-2', upper: '8' },
        ],
      }),
    ).toBe('BTCUSDT > 65000 and ETHUSDT < 3000 and IOT.SITE1.TEMP is inside −2–8');
  });

  it('walks the chain in order with its waits, naming the backup', () => {
    const escalation = [
      { to: 'recipient' as const, afterSeconds: 0 },
      { to: 'webhook' as const, afterSeconds: 30 },
      { to: 'backup' as const, afterSeconds: 180 },
      { to: 'desk' as const, afterSeconds: 3600 },
    ];
    expect(escalationText({ ...rule, escalation, backup: 'bob' })).toBe(
      'Until acknowledged: recipient at once, then webhook after 30 s, backup bob after 3 min, desk after 1 h.',
    );
    expect(escalationText({ escalation: [{ to: 'desk', afterSeconds: 0 }] })).toBe(
      'Until acknowledged: recipient at once, then desk at once.',
    );
    expect(escalationText({ escalation: [{ to: 'recipient' }] })).toBe('Until acknowledged: recipient at once.');
    expect([30, 60, 90, 120, 150, 3600, 5400, 86_400].map(waitText)).toEqual([
      '30 s',
      '60 s',
      '90 s',
      '2 min',
      '150 s',
      '1 h',
      '90 min',
      '24 h',
    ]);
  });
});
