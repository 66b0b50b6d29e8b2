import { describe, expect, it } from 'vitest';
import type { Rule } from '@tickdesk/schemas';
import { describeRule } from './rule-commands.js';

const rule: Rule = {
  id: 'r1',
  owner: 'alice',
  symbol: 'BTCUSDT',
  condition: 'crossing',
  threshold: '65000',
  frequency: 'every-time',
  cooldownSeconds: 30,
  priority: 'normal',
  status: 'active',
  createdAt: '2026-12-06T10:00:00Z',
  updatedAt: '2026-12-06T10:00:00Z',
  version: 1,
};

describe('a rule with flap control in chat and ad-hoc replies', () => {
  it('names its limit, gap and grouping window, and why it is paused when it paused itself', () => {
    expect(describeRule({ ...rule, maxFirings: 5, minGapSeconds: 120, groupWindowSeconds: 30 })).toBe(
      'r1 [active] BTCUSDT crossed 65000, every time (cooldown 30s), pauses after 5 firings, at most one alert per 120s, firings within 30s in one message',
    );
    expect(describeRule({ ...rule, status: 'paused', maxFirings: 5, pausedReason: 'firing-limit' })).toBe(
      'r1 [paused at its firing limit] BTCUSDT crossed 65000, every time (cooldown 30s), pauses after 5 firings',
    );
    expect(describeRule(rule)).toBe('r1 [active] BTCUSDT crossed 65000, every time (cooldown 30s)');
  });
});
