import { describe, expect, it } from 'vitest';
import { priceChange } from './price-change.js';

describe('price change', () => {
  it('is exact where binary floating point is not', () => {
    expect(priceChange('0.3', '0.1')).toEqual({ value: '+0.2', percent: '+200.00%', direction: 'up' });
    expect(priceChange('1.08', '1.0812')).toEqual({ value: '-0.0012', percent: '-0.11%', direction: 'down' });
  });

  it('says zero plainly', () => {
    expect(priceChange('65000.50', '65000.5')).toEqual({ value: '0', percent: '0.00%', direction: 'flat' });
  });

  it("follows a sensor's values across zero; no percentage of a reference at or below zero", () => {
    expect(priceChange('-18.5', '-17.5')).toEqual({ value: '-1', percent: '', direction: 'down' });
    expect(priceChange('0.5', '-0.5')).toEqual({ value: '+1', percent: '', direction: 'up' });
    expect(priceChange('-1', '0')).toEqual({ value: '-1', percent: '', direction: 'down' });
    expect(priceChange('-1', '2')).toEqual({ value: '-3', percent: '-150.00%', direction: 'down' });
  });

  it('refuses malformed input', () => {
    expect(priceChange('abc', '1')).toBeUndefined();
  });
});
