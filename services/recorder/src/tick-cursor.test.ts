import { describe, expect, it } from 'vitest';
import { decodeTickCursor, encodeTickCursor, nextTickCursor } from './tick-cursor.js';

describe('tick cursor', () => {
  it('round-trips and rejects garbage', () => {
    expect(decodeTickCursor(encodeTickCursor({ score: 1_709_287_200_123_456, skip: 3 }))).toEqual({
      score: 1_709_287_200_123_456,
      skip: 3,
    });
    for (const bad of ['', '1:', ':1', '1.5:2', '99999999999999999:1', '1:2:3'])
      expect(() => decodeTickCursor(bad)).toThrow(/cursor/);
  });

  it('counts the ticks sharing the last timestamp, across pages of one timestamp', () => {
    expect(nextTickCursor({ score: 0, skip: 0 }, [1, 2, 2, 2])).toEqual({ score: 2, skip: 3 });
    expect(nextTickCursor({ score: 2, skip: 3 }, [2, 2])).toEqual({ score: 2, skip: 5 });
    expect(nextTickCursor({ score: 2, skip: 3 }, [2, 3])).toEqual({ score: 3, skip: 1 });
    expect(nextTickCursor({ score: 2, skip: 3 }, [])).toBeUndefined();
  });
});
