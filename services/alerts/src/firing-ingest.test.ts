import { describe, expect, it } from 'vitest';
import { withIngest } from './firing-ingest.js';

const row = (seq: number) => ({
  seq,
  price: '1',
  size: '1',
  side: 'buy' as const,
  eventMicros: seq * 10,
  ingestMicros: seq * 10 + 3,
});
const firing = (ruleId: string, seq: number) => ({ ruleId, symbol: 'BTCUSDT', seq, price: '1', eventMicros: seq * 10 });

describe('withIngest', () => {
  it("gives each firing its tick's ingest stamp, several firings of one tick included", () => {
    const rows = [row(4), row(5), row(6), row(7)];
    const out = withIngest([firing('a', 5), firing('b', 5), firing('a', 7)], rows);
    expect(out.map((f) => [f.ruleId, f.seq, f.ingestMicros])).toEqual([
      ['a', 5, 53],
      ['b', 5, 53],
      ['a', 7, 73],
    ]);
  });

  it('leaves the stamp out for a firing whose tick is not among the rows', () => {
    const out = withIngest([firing('a', 9)], [row(4)]);
    expect(out[0]).not.toHaveProperty('ingestMicros');
  });

  it('returns the same empty list for no firings', () => {
    const none: never[] = [];
    expect(withIngest(none, [row(1)])).toBe(none);
  });
});
