import { describe, expect, it } from 'vitest';
import { draftOf, emptyDraft, toRuleInput } from './rule-draft.js';

describe('rule draft', () => {
  it('sends only the fields the condition and frequency use', () => {
    const d = {
      ...emptyDraft('BTCUSDT'),
      condition: 'crossing-up' as const,
      threshold: ' 65000 ',
      lower: '1',
      window: '60',
      cooldown: '5',
    };
    expect(toRuleInput(d)).toEqual({
      symbol: 'BTCUSDT',
      condition: 'crossing-up',
      threshold: '65000',
      frequency: 'once',
      priority: 'normal',
    });
  });

  it('maps percent to amount and windows with units to seconds', () => {
    const d = {
      ...emptyDraft('SOLUSDT'),
      condition: 'moving-up-percent' as const,
      percent: '2%',
      amount: '9',
      window: '5m',
      frequency: 'every-time' as const,
      cooldown: '10m',
    };
    expect(toRuleInput(d)).toMatchObject({ amount: '2', windowSeconds: 300, cooldownSeconds: 600 });
  });

  it('leaves what it cannot read for the server to name', () => {
    const d = {
      ...emptyDraft('SOLUSDT'),
      condition: 'moving-up' as const,
      amount: '1',
      window: 'soon',
      expires: '2026-12-31 17:00',
      backup: 'bob@desk.localhost',
    };
    expect(toRuleInput(d)).toMatchObject({ windowSeconds: 'soon', expiresAt: '2026-12-31T17:00:00Z', backup: 'bob' });
  });

  it('round-trips a stored rule into the form', () => {
    const d = draftOf({
      id: 'r1',
      owner: 'alice',
      status: 'active',
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      version: 3,
      symbol: 'EURUSD',
      condition: 'moving-down-percent',
      amount: '1.5',
      windowSeconds: 120,
      frequency: 'once-per-bar',
      interval: '1h',
      priority: 'critical',
    });
    expect(d).toMatchObject({
      editingId: 'r1',
      version: 3,
      percent: '1.5',
      amount: '',
      window: '120',
      interval: '1h',
      priority: 'critical',
    });
    expect(toRuleInput(d)).toEqual({
      symbol: 'EURUSD',
      condition: 'moving-down-percent',
      amount: '1.5',
      windowSeconds: 120,
      frequency: 'once-per-bar',
      interval: '1h',
      priority: 'critical',
    });
  });

  it("keeps a stored rule's flap control through an edit the form has no inputs for", () => {
    const stored = {
      id: 'r2',
      owner: 'alice',
      status: 'paused' as const,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      version: 4,
      symbol: 'BTCUSDT',
      condition: 'crossing' as const,
      threshold: '65000',
      frequency: 'every-time' as const,
      cooldownSeconds: 30,
      priority: 'normal' as const,
      maxFirings: 5,
      minGapSeconds: 60,
      groupWindowSeconds: 20,
      pausedReason: 'firing-limit' as const,
      firings: 5,
    };
    const d = draftOf(stored);
    d.threshold = '66000';
    expect(toRuleInput(d)).toEqual({
      symbol: 'BTCUSDT',
      condition: 'crossing',
      threshold: '66000',
      frequency: 'every-time',
      cooldownSeconds: 30,
      priority: 'normal',
      maxFirings: 5,
      minGapSeconds: 60,
      groupWindowSeconds: 20,
    });
    // Made a once rule in the form: they no longer apply (the server would refuse them).
    expect(toRuleInput({ ...d, frequency: 'once' })).not.toHaveProperty('maxFirings');
  });

  describe('keeps every field of a stored rule the form has no input for', () => {
    const base = {
      owner: 'alice',
      status: 'active' as const,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      version: 2,
      frequency: 'once' as const,
      priority: 'normal' as const,
    };

    it('an escalation chain, through a threshold edit', () => {
      const escalation = [
        { to: 'recipient' as const, afterSeconds: 0 },
        { to: 'webhook' as const, afterSeconds: 60 },
        { to: 'backup' as const, afterSeconds: 120 },
        { to: 'desk' as const, afterSeconds: 300 },
      ];
      const d = draftOf({
        ...base,
        id: 'r3',
        symbol: 'BTCUSDT',
        condition: 'crossing-up',
        threshold: '65000',
        backup: 'bob',
        recipient: 'carol',
        escalation,
      });
      d.threshold = '66000';
      expect(toRuleInput(d)).toEqual({
        symbol: 'BTCUSDT',
        condition: 'crossing-up',
        threshold: '66000',
        frequency: 'once',
        priority: 'normal',
        backup: 'bob',
        recipient: 'carol',
        escalation,
      });
      // A partner desk's trader as backup keeps its domain; a newly typed JID of ours becomes a username.
      const partner = draftOf({
        ...base,
        id: 'r7',
        symbol: 'BTCUSDT',
        condition: 'less-than',
        threshold: '1',
        backup: 'carl@peer.example',
      });
      expect(toRuleInput(partner).backup).toBe('carl@peer.example');
      expect(toRuleInput({ ...partner, backup: 'dan@desk.localhost' }).backup).toBe('dan');
      expect(toRuleInput({ ...partner, backup: ' erin ' }).backup).toBe('erin');
    });

    it('a spread series and an AND, through a threshold edit', () => {
      const series = {
        kind: 'spread' as const,
        legs: [
          { symbol: 'BTCUSDT', coefficient: '1' },
          { symbol: 'ETHUSDT', coefficient: '-15' },
        ],
      };
      const spread = draftOf({ ...base, id: 'r4', symbol: 'BTCUSDT', condition: 'crossing', threshold: '0', series });
      spread.threshold = '10.5';
      expect(toRuleInput(spread)).toEqual({
        symbol: 'BTCUSDT',
        condition: 'crossing',
        threshold: '10.5',
        frequency: 'once',
        priority: 'normal',
        series,
      });
      const and = [{ symbol: 'ETHUSDT', condition: 'less-than', threshold: '3000' }];
      const both = draftOf({ ...base, id: 'r5', symbol: 'BTCUSDT', condition: 'greater-than', threshold: '1', and });
      both.threshold = '2';
      expect(toRuleInput(both)).toMatchObject({ threshold: '2', and });
    });

    it("sends none of the stored rule's state, and nothing of it in a new rule", () => {
      const d = draftOf({
        ...base,
        id: 'r6',
        symbol: 'BTCUSDT',
        condition: 'greater-than',
        threshold: '1',
        firings: 3,
        pausedReason: 'firing-limit',
      });
      expect(Object.keys(toRuleInput(d)).sort()).toEqual(['condition', 'frequency', 'priority', 'symbol', 'threshold']);
      expect(Object.keys(toRuleInput(emptyDraft('BTCUSDT'))).sort()).toEqual([
        'condition',
        'frequency',
        'priority',
        'symbol',
        'threshold',
      ]);
    });
  });
});
