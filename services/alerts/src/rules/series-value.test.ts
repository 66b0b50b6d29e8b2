import { describe, expect, it } from 'vitest';
import { compareDecimal } from '@tickdesk/schemas';
import { mulberry32 } from '../../../../test/support/seeded-random.js';
import { describeSeries, ratioKey, spreadValue } from './series-value.js';

/** The spread in BigInt alone, at 40 digits after the point. */
function bigSpread(coefficients: string[], prices: string[]): bigint {
  const at40 = (d: string) => {
    const neg = d.startsWith('-');
    const [i, f = ''] = (neg ? d.slice(1) : d).split('.');
    const n = BigInt(i! + f.padEnd(40, '0'));
    return neg ? -n : n;
  };
  return coefficients.reduce((sum, c, k) => sum + (at40(c) * at40(prices[k]!)) / 10n ** 40n, 0n);
}

describe('spread values', () => {
  it('are exact where doubles are not', () => {
    expect(spreadValue(['1', '-15'], ['64999.99999999999', '4333.333333333333'])).toBe('-0.000000000005');
    expect(spreadValue(['0.1', '0.2'], ['1', '1'])).toBe('0.3');
    expect(spreadValue(['1', '-1'], ['5', '5'])).toBe('0');
  });

  it('agree with BigInt arithmetic on short and long decimals (the double fast path and the BigInt one)', () => {
    const r = mulberry32(7);
    const dec = (digits: number, signed: boolean) => {
      const int = String(Math.floor(r() * 10 ** Math.min(digits, 15)));
      const frac = String(Math.floor(r() * 1e9))
        .padStart(9, '0')
        .slice(0, Math.floor(r() * 9));
      const s = frac.replace(/0+$/, '') ? `${int}.${frac.replace(/0+$/, '')}` : int;
      return signed && r() < 0.5 && s !== '0' ? `-${s}` : s;
    };
    for (let i = 0; i < 2_000; i++) {
      const n = 2 + Math.floor(r() * 4);
      const cs = Array.from({ length: n }, () => dec(1 + Math.floor(r() * 6), true));
      const ps = Array.from({ length: n }, () => dec(1 + Math.floor(r() * (r() < 0.2 ? 30 : 8)), false));
      const v = spreadValue(cs, ps);
      expect(bigSpread(['1'], [v]), `${cs.join(',')} × ${ps.join(',')}`).toBe(bigSpread(cs, ps));
    }
  });
});

describe('ratio keys', () => {
  it('order against thresholds as numerator − T × denominator does, where a float division would not', () => {
    // 0.3 / 0.1 is 2.9999999999999996 in doubles: below 3; exactly 3.
    expect(0.3 / 0.1).toBeLessThan(3);
    expect(compareDecimal(ratioKey('0.3', '0.1')!, '3')).toBe(0);
    // 1 / 3 against 0.3333333333 (10 digits): just above it, never equal.
    expect(Math.sign(compareDecimal(ratioKey('1', '3')!, '0.3333333333'))).toBe(1);
    expect(Math.sign(compareDecimal(ratioKey('1', '3')!, '0.3333333333333333333333333333333333333334'))).toBe(-1);
    expect(ratioKey('1', '0')).toBeUndefined();
  });
});

describe('series in words', () => {
  it('reads as traders write them', () => {
    expect(
      describeSeries({
        kind: 'spread',
        legs: [
          { symbol: 'BTCUSDT', coefficient: '1' },
          { symbol: 'ETHUSDT', coefficient: '-15' },
          { symbol: 'SOLUSDT', coefficient: '0.5' },
        ],
      }),
    ).toBe('BTCUSDT − 15 × ETHUSDT + 0.5 × SOLUSDT');
    expect(describeSeries({ kind: 'ratio', numerator: 'BTCUSDT', denominator: 'ETHUSDT' })).toBe('BTCUSDT / ETHUSDT');
  });
});
