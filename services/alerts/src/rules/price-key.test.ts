import { describe, expect, it } from 'vitest';
import { priceKey } from './price-key.js';

describe('priceKey', () => {
  it('is Number() for prices short and long', () => {
    let a = 11;
    const r = () => (a = (a * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const cases = [
      '0',
      '0.3',
      '0.1',
      '65000.5',
      '9007199254740993',
      '123456789012345',
      '0.000000000000000001',
      '12345678901234567890.123456789012345678',
    ];
    for (let i = 0; i < 20_000; i++) {
      const int = String(Math.floor(r() * 10 ** Math.floor(r() * 10)));
      const frac = Array.from({ length: Math.floor(r() * 12) }, () => Math.floor(r() * 10))
        .join('')
        .replace(/0+$/, '');
      cases.push(frac ? `${int}.${frac}` : int);
    }
    for (const s of cases) expect(priceKey(s), s).toBe(Number(s));
  });
});

describe('priceKey of a sensor value', () => {
  it('is Number() for negative values and zero', () => {
    for (const s of ['0', '-18.5', '-0.3', '-65000.5', '-9007199254740993', '-0.000000000000000001', '-123456789.123'])
      expect(priceKey(s), s).toBe(Number(s));
  });
});
