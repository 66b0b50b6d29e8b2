import { describe, expect, it } from 'vitest';
import type { Silence } from '@tickdesk/schemas/rest';
import { silenceOf } from './silences.js';

const NOW = Date.parse('2026-12-06T12:00:00.000Z');
const at = (ms: number) => new Date(ms).toISOString();
const s = (over: Partial<Silence>): Silence => ({
  id: 'sl0000000000000001',
  owner: 'alice',
  from: at(NOW - 1000),
  until: at(NOW + 60_000),
  reason: 'lunch',
  onEnd: 'release',
  createdAt: at(NOW - 1000),
  ...over,
});
const rule = { id: 'r1', symbol: 'BTCUSDT', owner: 'alice' };

describe('silenceOf', () => {
  it("finds the owner's active silence of the rule or its instrument, the longest", () => {
    const bySymbol = s({ symbol: 'BTCUSDT' });
    const byRule = s({ id: 'sl0000000000000002', ruleId: 'r1', until: at(NOW + 120_000) });
    expect(silenceOf(rule, [bySymbol], NOW)).toBe(bySymbol);
    expect(silenceOf(rule, [bySymbol, byRule], NOW)).toBe(byRule);
  });

  it('ignores other owners, other rules and instruments, silences not begun, over or ended', () => {
    const others = [
      s({ symbol: 'BTCUSDT', owner: 'bob' }),
      s({ symbol: 'ETHUSDT' }),
      s({ ruleId: 'r2' }),
      s({ symbol: 'BTCUSDT', from: at(NOW + 1) }),
      s({ symbol: 'BTCUSDT', until: at(NOW) }),
      s({ symbol: 'BTCUSDT', endedAt: at(NOW - 1) }),
    ];
    expect(silenceOf(rule, others, NOW)).toBeUndefined();
  });
});
