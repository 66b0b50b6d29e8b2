import { describe, expect, it } from 'vitest';
import xml from '@xmpp/xml';
import { decodeAlert, encodeAlert, NS_ALERT, type AlertPayload } from './alert-codec.js';

const alert: AlertPayload = {
  id: 'a01jd3k9x2',
  rule: 'r1x2',
  symbol: 'BTCUSDT',
  condition: 'crossing-up',
  threshold: '65000',
  price: '65000.5',
  previousPrice: '64999.9',
  seq: 42,
  eventTime: '2026-11-21T10:00:00.123456Z',
  firedAt: '2026-11-21T10:00:00.125000Z',
  priority: 'critical',
  message: 'take profit <now> & then',
};

describe('alert payload codec', () => {
  it('round-trips exactly, through serialised XML too', async () => {
    expect(decodeAlert(encodeAlert(alert))).toEqual({ ok: true, value: alert });
    const { parse } = await import('ltx');
    expect(decodeAlert(parse(encodeAlert(alert).toString()) as never)).toEqual({ ok: true, value: alert });
    const moving: AlertPayload = {
      ...alert,
      condition: 'moving-down-percent',
      amount: '1.5',
      windowSeconds: 60,
      reference: '66000',
    };
    delete moving.threshold;
    delete moving.message;
    expect(decodeAlert(encodeAlert(moving))).toEqual({ ok: true, value: moving });
  });

  it.each([
    ['price', { price: '-0' }, /price/],
    ['price', { price: '--1' }, /price/],
    ['amount', { amount: '-1' }, /amount/],
    ['previous', { previous: '-0.0' }, /previous/],
    ['threshold', { threshold: '6.5e4' }, /threshold/],
    ['condition', { condition: 'crosses' }, /condition/],
    ['seq', { seq: '9007199254740993' }, /seq/],
    ['event-time', { 'event-time': '2026-11-21 10:00:00' }, /event-time/],
    ['priority', { priority: 'urgent' }, /priority/],
    ['window', { window: '0' }, /window/],
    ['id', { id: '' }, /id/],
  ])('rejects a bad %s', (_name, attrs, reason) => {
    const el = encodeAlert(alert);
    Object.assign(el.attrs, attrs);
    expect(decodeAlert(el)).toMatchObject({ ok: false, reason: expect.stringMatching(reason) as string });
  });

  it("round-trips a sensor's alert: zero and negative values and levels, exactly", () => {
    const freezer: AlertPayload = {
      ...alert,
      symbol: 'IOT.X',
      condition: 'crossing-down',
      threshold: '-18',
      price: '-18.5',
      previousPrice: '0',
    };
    expect(decodeAlert(encodeAlert(freezer))).toEqual({ ok: true, value: freezer });
    const channel: AlertPayload = { ...freezer, condition: 'inside-channel', lower: '-20', upper: '-0.5' };
    delete channel.threshold;
    expect(decodeAlert(encodeAlert(channel))).toEqual({ ok: true, value: channel });
  });

  it('rejects foreign elements and child elements', () => {
    expect(decodeAlert(xml('alert', { xmlns: 'urn:other' })).ok).toBe(false);
    expect(decodeAlert(xml('alert', { ...encodeAlert(alert).attrs, xmlns: NS_ALERT }, xml('b'))).ok).toBe(false);
  });
});
