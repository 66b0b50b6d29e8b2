import { describe, expect, it } from 'vitest';
import { alertBody, alertMessage } from './alert-message.js';
import { GROUP_LISTED_MAX, NS_ALERT_GROUP, withFiring, type FiringGroup } from './firing-group.js';

const content = {
  id: 'a1',
  rule: 'r1',
  symbol: 'BTCUSDT',
  condition: 'crossing' as const,
  threshold: '65000',
  price: '65000.5',
  seq: 1,
  eventTime: '2026-12-06T10:00:00.123456Z',
  firedAt: '2026-12-06T10:00:00.124Z',
  priority: 'normal' as const,
};
const firing = (i: number) => ({ id: `a${i}`, price: `6500${i}`, eventTime: `2026-12-06T10:00:0${i % 10}.000Z` });

describe('a group message', () => {
  it('lists each firing’s price and time in its body and their alert ids in its payload', () => {
    let g: FiringGroup = { until: '2026-12-06T10:00:30.124Z', firings: [firing(1)] };
    g = withFiring(withFiring(g, firing(2)), firing(3));
    expect(withFiring(g, firing(2))).toBe(g); // a firing evaluated again is listed once
    const body = alertBody(content, g);
    expect(body).toBe(
      'BTCUSDT crossed 65000: 3 firings: 65001 at 2026-12-06 10:00:01.000 UTC; 65002 at 2026-12-06 10:00:02.000 UTC; ' +
        '65003 at 2026-12-06 10:00:03.000 UTC [alert a1, rule r1]',
    );
    const el = alertMessage(content, 'alice@desk.localhost', undefined, g).getChild('group', NS_ALERT_GROUP);
    expect(el?.attrs.count).toBe('3');
    expect(el?.getChildren('firing').map((f) => String(f.attrs.id))).toEqual(['a1', 'a2', 'a3']);
  });

  it('lists at most GROUP_LISTED_MAX firings and counts the rest', () => {
    let g: FiringGroup = { until: '2026-12-06T10:00:30Z', firings: [] };
    for (let i = 0; i < GROUP_LISTED_MAX + 7; i++) g = withFiring(g, firing(i));
    expect(g.firings).toHaveLength(GROUP_LISTED_MAX);
    expect(g.more).toBe(7);
    expect(alertBody(content, g)).toContain(`${GROUP_LISTED_MAX + 7} firings:`);
    expect(alertBody(content, g)).toContain('; and 7 more [alert a1');
  });

  it('an alert without a group reads as before', () => {
    expect(alertMessage(content, 'alice@desk.localhost').getChild('group', NS_ALERT_GROUP)).toBeUndefined();
    expect(alertBody(content)).toBe(
      'BTCUSDT crossed 65000: 65000.5 at 2026-12-06 10:00:00.123 UTC [alert a1, rule r1]',
    );
  });
});
