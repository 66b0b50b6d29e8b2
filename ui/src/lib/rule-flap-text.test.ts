import { describe, expect, it } from 'vitest';
import type { Rule } from '@tickdesk/schemas';
import { flapLines } from './rule-flap-text.js';

const rule: Rule = {
  id: 'r1',
  owner: 'alice',
  symbol: 'BTCUSDT',
  condition: 'crossing',
  threshold: '65000',
  frequency: 'every-time',
  cooldownSeconds: 10,
  priority: 'normal',
  status: 'active',
  createdAt: '2026-12-06T10:00:00Z',
  updatedAt: '2026-12-06T10:00:00Z',
  version: 1,
};

describe('what the rules list says about flap control', () => {
  it('says nothing for a rule without flap control', () => {
    expect(flapLines(rule)).toEqual([]);
  });

  it('a rule paused at its firing limit says so and how to go on', () => {
    const lines = flapLines({
      ...rule,
      status: 'paused',
      maxFirings: 3,
      firings: 3,
      pausedReason: 'firing-limit',
      limited: { reason: 'firing-limit', since: '2026-12-06T10:00:05.250Z' },
    });
    expect(lines).toEqual([
      {
        kind: 'limited',
        reason: 'firing-limit',
        text: 'Paused itself at 10:00:05.250 UTC after 3 firings, its limit. Resume it to start counting again.',
      },
    ]);
  });

  it('a rate-capped rule and an open group are shown with why and until when', () => {
    const lines = flapLines({
      ...rule,
      groupWindowSeconds: 30,
      limited: {
        reason: 'rate-cap',
        since: '2026-12-06T10:00:00Z',
        until: '2026-12-06T10:01:00Z',
        detail: 'per-rule cap 10/60s',
      },
      grouping: { alertId: 'a1', until: '2026-12-06T10:00:30Z', firings: 2 },
    });
    expect(lines.map((l) => [l.kind, l.reason])).toEqual([
      ['limited', 'rate-cap'],
      ['grouping', 'grouping'],
    ]);
    expect(lines[0]!.text).toContain('(per-rule cap 10/60s)');
    expect(lines[1]!.text).toBe('Grouping: 2 firings so far, sent as one message at 10:00:30.000 UTC.');
  });

  it('the settings read as what the rule will do', () => {
    const texts = flapLines({ ...rule, maxFirings: 5, firings: 2, minGapSeconds: 60, groupWindowSeconds: 30 }).map(
      (l) => l.text,
    );
    expect(texts).toEqual([
      'Firings within 30s go out as one message.',
      '2 of 5 firings before it pauses itself.',
      'At most one alert every 60s.',
    ]);
  });
});
