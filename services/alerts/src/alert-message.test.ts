import { describe, expect, it } from 'vitest';
import { alertBody, alertMessage, stanzaHash } from './alert-message.js';
import type { AlertContent } from './alert-message.js';

const alert: AlertContent = {
  id: 'a1b2',
  rule: 'r1',
  symbol: 'BTCUSDT',
  condition: 'crossing-up',
  threshold: '65000',
  price: '65000.5',
  previousPrice: '64999',
  seq: 7,
  eventTime: '2026-03-01T12:00:00.123456Z',
  firedAt: '2026-03-01T12:00:00.200Z',
  priority: 'critical',
  message: 'one\u0007bell',
};

describe('the alert message', () => {
  it('carries no character XML 1.0 forbids, even from a rule stored before the check: U+FFFD in body and payload', () => {
    const el = alertMessage(alert, 'alice@desk.localhost');
    const xmlText = el.toString();
    expect(xmlText).not.toContain('\u0007');
    expect(el.getChildText('body')).toContain('one\uFFFDbell');
    expect(el.getChild('alert', 'urn:tickdesk:alert:0')?.text()).toBe('one\uFFFDbell');
    // The audit hash is taken of the element as built: it is what goes on the wire.
    expect(stanzaHash(el)).toBe(stanzaHash(xmlText));
  });

  it('keeps a clean message as written', () => {
    const el = alertMessage({ ...alert, message: 'take profit\tnow 🚀' }, 'alice@desk.localhost');
    expect(el.getChildText('body')).toBe(alertBody({ ...alert, message: 'take profit\tnow 🚀' }));
    expect(el.getChildText('body')).toContain('take profit\tnow 🚀');
  });
});
