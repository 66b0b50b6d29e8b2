import { describe, expect, it } from 'vitest';
import { moveReaches } from './exact-move.js';

describe('moveReaches', () => {
  it('absolute moves, exactly', () => {
    expect(moveReaches('0.3', '0.2', '0.1', true, false)).toBe(true);
    expect(moveReaches('0.3', '0.200000000000000000001', '0.1', true, false)).toBe(false);
    expect(moveReaches('0.1', '0.2', '0.1', false, false)).toBe(true);
    expect(moveReaches('0.100000000000000000001', '0.2', '0.1', false, false)).toBe(false);
  });

  it('percent moves, cross-multiplied', () => {
    expect(moveReaches('0.303', '0.3', '1', true, true)).toBe(true);
    expect(moveReaches('0.302999999999999999', '0.3', '1', true, true)).toBe(false);
    expect(moveReaches('2', '3', '33.333333333333333333', false, true)).toBe(true);
    expect(moveReaches('2', '3', '33.333333333333333334', false, true)).toBe(false);
    expect(moveReaches('0', '0', '5', true, true)).toBe(true); // 0·100 ≥ 5·0
  });
});
