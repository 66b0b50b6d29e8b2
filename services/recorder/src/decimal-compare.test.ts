import { describe, expect, it } from 'vitest';
import { Decimal } from '@tickdesk/schemas';
import { compareDecimal } from './decimal-compare.js';
import { randomDecimal, rng } from './naive.test-util.js';

describe('compareDecimal', () => {
  it('orders like exact decimal arithmetic', () => {
    const r = rng(5);
    const values = [...Array.from({ length: 400 }, () => randomDecimal(r)), '0', '0.0', '1.50', '1.5', '10', '9.99999999999999999999', '100.000000000000000001'];
    for (const a of values) {
      for (const b of values.slice(0, 60)) expect(Math.sign(compareDecimal(a, b))).toBe(new Decimal(a).comparedTo(b));
    }
  });
});
