import { describe, expect, it } from 'vitest';
import { compareDecimal, Decimal } from './decimal.js';

/** A seeded stream of decimal strings: short ones like 0.1 and long ones like 12.000000000000000017. */
function decimals(seed: number, n: number): string[] {
  let a = seed;
  const r = () => (a = (a * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, () => {
    if (r() < 0.2) return ['0.1', '0.2', '0.3', '0.7', '1'][Math.floor(r() * 5)]!;
    const frac = Array.from({ length: 1 + Math.floor(r() * 24) }, () => Math.floor(r() * 10))
      .join('')
      .replace(/0+$/, '');
    const text = `${Math.floor(r() * 100_000)}${frac ? `.${frac}` : ''}`;
    return /[1-9]/.test(text) ? text : '0.5';
  });
}

describe('compareDecimal', () => {
  it('orders like exact decimal arithmetic', () => {
    const values = [
      ...decimals(5, 400),
      '0',
      '0.0',
      '1.50',
      '1.5',
      '10',
      '9.99999999999999999999',
      '100.000000000000000001',
    ];
    for (const a of values) {
      for (const b of values.slice(0, 60)) expect(Math.sign(compareDecimal(a, b))).toBe(new Decimal(a).comparedTo(b));
    }
  });

  it('orders signed sensor values like exact decimal arithmetic', () => {
    const magnitudes = [...decimals(7, 120), '0.1', '1.50', '1.5', '18.5', '18', '0.000000000000000001'];
    const values = ['0', ...magnitudes, ...magnitudes.map((m) => `-${m}`)];
    for (const a of values) {
      for (const b of values)
        expect(Math.sign(compareDecimal(a, b)), `${a} vs ${b}`).toBe(new Decimal(a).comparedTo(b));
    }
  });
});
