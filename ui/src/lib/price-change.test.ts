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

  it('refuses malformed input', () => {
    expect(priceChange('abc', '1')).toBeUndefined();
  });
});
