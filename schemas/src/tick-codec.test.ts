import { describe, expect, it } from 'vitest';
import xml from '@xmpp/xml';
import { decodeTickBatch, encodeTickBatch, NS_TICKS } from './tick-codec.js';
import type { TickBatch } from './tick.js';

const batch: TickBatch = {
  symbol: 'BTCUSDT',
  conflated: 0,
  ticks: [
    { symbol: 'BTCUSDT', seq: 42377944, price: '9682', size: '0.132', side: 'buy', eventTime: '2020-02-22T00:00:02.111000Z', ingestTime: '2020-02-22T00:00:02.418379Z' },
    { symbol: 'BTCUSDT', seq: 42377947, price: '9682.19', size: '0.01', side: 'sell', eventTime: '2020-02-22T00:00:02.150Z', ingestTime: '2020-02-22T00:00:02.421536Z' },
  ],
};

const withText = (text: string, attrs: Record<string, string> = {}) =>
  xml('ticks', { xmlns: NS_TICKS, symbol: 'BTCUSDT', count: '1', ...attrs }, text);
const good = '1 9682.19 0.01 b 2020-02-22T00:00:02.150Z 2020-02-22T00:00:02.421536Z\n';

describe('tick batch codec', () => {
  it('round-trips exactly, prices untouched', () => {
    const el = encodeTickBatch(batch);
    const parsed = decodeTickBatch(el);
    expect(parsed).toEqual({ ok: true, value: batch });
  });

  it('round-trips through serialised XML', async () => {
    const { parse } = await import('ltx');
    const el = parse(encodeTickBatch({ ...batch, conflated: 7 }).toString());
    const res = decodeTickBatch(el as never);
    expect(res.ok && res.value.conflated).toBe(7);
    expect(res.ok && res.value.ticks.map((t) => t.price)).toEqual(['9682', '9682.19']);
  });

  it('accepts a well-formed single tick', () => {
    expect(decodeTickBatch(withText(good)).ok).toBe(true);
  });

  it.each([
    ['NaN price', good.replace('9682.19', 'NaN'), /price/],
    ['negative price', good.replace('9682.19', '-9682.19'), /price/],
    ['zero price', good.replace('9682.19', '0'), /price/],
    ['exponent price', good.replace('9682.19', '9.68219e3'), /price/],
    ['negative size', good.replace(' 0.01 ', ' -0.01 '), /size/],
    ['bad side', good.replace(' b ', ' x '), /side/],
    ['bad event time', good.replace('2020-02-22T00:00:02.150Z', '2020-02-30T00:00:02.150Z'), /event time/],
    ['local time', good.replace('02.421536Z', '02.421536+01:00'), /ingest time/],
    ['missing field', good.replace(' b ', ' '), /fields/],
    ['extra field', good.replace(' b ', ' b b '), /fields/],
  ])('rejects %s with a reason', (_name, text, reason) => {
    const res = decodeTickBatch(withText(text));
    expect(res.ok).toBe(false);
    expect(!res.ok && res.reason).toMatch(reason);
  });

  it('rejects a seq beyond 2^53-1 instead of rounding it', () => {
    const res = decodeTickBatch(withText(good.replace(/^1 /, '9007199254740993 ')));
    expect(res).toMatchObject({ ok: false, reason: expect.stringMatching(/2\^53/) });
  });

  it('rejects a count that does not match the lines', () => {
    const res = decodeTickBatch(withText(good + good.replace(/^1/, '2'), { count: '3' }));
    expect(res).toMatchObject({ ok: false, reason: expect.stringMatching(/count says 3/) });
  });

  it('rejects a batch whose seq does not increase, whole', () => {
    const res = decodeTickBatch(withText(good + good, { count: '2' }));
    expect(res).toMatchObject({ ok: false, reason: expect.stringMatching(/seq/) });
  });

  it('rejects foreign elements and child elements', () => {
    expect(decodeTickBatch(xml('ticks', { xmlns: 'urn:other' }, good)).ok).toBe(false);
    expect(decodeTickBatch(xml('ticks', { xmlns: NS_TICKS, symbol: 'BTCUSDT', count: '1' }, xml('x'))).ok).toBe(false);
    expect(decodeTickBatch(withText(good, { symbol: 'btc usdt' })).ok).toBe(false);
  });
});
