import { describe, expect, it } from 'vitest';
import { decodeAlert, encodeAlert, type AlertPayload } from './alert-codec.js';

const spread: AlertPayload = {
  id: 'a0123456789abcdef01234567',
  rule: 'r1',
  symbol: 'BTCUSDT',
  condition: 'crossing',
  threshold: '0',
  price: '64999.99999999999',
  seq: 7,
  eventTime: '2026-12-06T10:00:00.000001Z',
  firedAt: '2026-12-06T10:00:00.002Z',
  priority: 'normal',
  series: 'BTCUSDT − 15 × ETHUSDT',
  value: '-0.00000000049',
  legs: [
    { symbol: 'BTCUSDT', price: '64999.99999999999' },
    { symbol: 'ETHUSDT', price: '4333.3333333333' },
  ],
};

describe('the alert payload of a rule across instruments', () => {
  it('carries series, value and legs as attributes, and decodes them back', () => {
    const el = encodeAlert(spread);
    expect(el.attrs).toMatchObject({
      series: 'BTCUSDT − 15 × ETHUSDT',
      value: '-0.00000000049',
      legs: 'BTCUSDT=64999.99999999999 ETHUSDT=4333.3333333333',
    });
    expect(decodeAlert(el)).toEqual({ ok: true, value: spread });
  });

  it.each([
    ['a leg without a price', 'BTCUSDT=1 ETHUSDT'],
    ['a price that is not a decimal', 'BTCUSDT=1 ETHUSDT=1e3'],
    ['a symbol that is not one', 'BTCUSDT=1 eth=2'],
    ['six legs', 'A=1 B=1 C=1 D=1 E=1 F=1'],
  ])('refuses legs with %s', (_, legs) => {
    const el = encodeAlert(spread);
    el.attrs.legs = legs;
    const r = decodeAlert(el);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/legs/);
  });

  it('refuses a value that is not a decimal', () => {
    const el = encodeAlert(spread);
    el.attrs.value = '1/3';
    expect(decodeAlert(el)).toMatchObject({ ok: false });
  });
});
