import { describe, expect, it } from 'vitest';
import { createSuppressionLedger, type SuppressedFiring } from './suppression-ledger.js';

const RULE_CAP = { ok: false as const, cap: 'rule' as const, limit: 10, windowMs: 60_000 };
const OWNER_CAP = { ok: false as const, cap: 'owner' as const, limit: 60, windowMs: 60_000 };
const firing = (seq: number, ruleId = 'r1', trader = 'alice'): SuppressedFiring => ({
  alertId: `a${seq}`,
  ruleId,
  trader,
  symbol: 'MSFT',
  seq,
  price: `${100 + seq}`,
});

describe('suppression ledger', () => {
  it('records the first suppressed firing of a rule, counts the rest, and summarises the count once per summary interval', () => {
    let t = 0;
    const ledger = createSuppressionLedger({ summaryMs: 10_000, now: () => t });
    expect(ledger.note(RULE_CAP, firing(1))).toBe('record');
    for (let s = 2; s <= 500; s++) expect(ledger.note(RULE_CAP, firing(s))).toBe('count');
    expect(ledger.due()).toEqual([]); // not yet 10 s
    t = 10_000;
    expect(ledger.due()).toEqual([{ cap: RULE_CAP, first: firing(1), count: 499, last: firing(500) }]);
    expect(ledger.due()).toEqual([]); // each count is reported once
    t = 15_000;
    expect(ledger.note(RULE_CAP, firing(501))).toBe('count');
    t = 20_000;
    expect(ledger.due()).toEqual([{ cap: RULE_CAP, first: firing(1), count: 1, last: firing(501) }]);
  });

  it("keys the owner cap by trader: all of one trader's rules share one record", () => {
    const ledger = createSuppressionLedger({ summaryMs: 10_000, now: () => 0 });
    expect(ledger.note(OWNER_CAP, firing(1, 'r1'))).toBe('record');
    expect(ledger.note(OWNER_CAP, firing(2, 'r2'))).toBe('count');
    expect(ledger.note(OWNER_CAP, firing(3, 'r1', 'bob'))).toBe('record');
    expect(ledger.note(RULE_CAP, firing(4, 'r1'))).toBe('record');
    expect(ledger.due(true).map((s) => [s.first.alertId, s.count])).toEqual([['a1', 1]]);
  });

  it('forgets a key quiet for a whole cap window: the next suppressed firing is recorded in full again', () => {
    let t = 0;
    const ledger = createSuppressionLedger({ summaryMs: 10_000, now: () => t });
    ledger.note(RULE_CAP, firing(1));
    ledger.note(RULE_CAP, firing(2));
    t = 30_000;
    expect(ledger.due()).toHaveLength(1);
    t = 90_000;
    expect(ledger.due()).toEqual([]);
    expect(ledger.size()).toBe(0);
    expect(ledger.note(RULE_CAP, firing(3))).toBe('record');
  });
});
