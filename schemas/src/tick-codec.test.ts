import { describe, expect, it } from 'vitest';
import xml from '@xmpp/xml';
import { decodeTickBatch, decodeTickRows, encodeTickBatch, encodeTickRows, NS_TICKS } from './tick-codec.js';
import type { TickBatch } from './tick.js';

const batch: TickBatch = {
  symbol: 'BTCUSDT',
  conflated: 0,
  ticks: [
    {
      symbol: 'BTCUSDT',
      seq: 42377944,
      price: '9682',
      size: '0.132',
      side: 'buy',
      eventTime: '2020-02-22T00:00:02.111000Z',
      ingestTime: '2020-02-22T00:00:02.418379Z',
    },
    {
      symbol: 'BTCUSDT',
      seq: 42377947,
      price: '9682.19',
      size: '0.01',
      side: 'sell',
      eventTime: '2020-02-22T00:00:02.150000Z',
      ingestTime: '2020-02-22T00:00:02.421536Z',
    },
    // The venue's clock may put a later trade earlier: a negative offset.
    {
      symbol: 'BTCUSDT',
      seq: 42377948,
      price: '0.3',
      size: '0',
      side: 'unknown',
      eventTime: '2020-02-22T00:00:01.999999Z',
      ingestTime: '2020-02-22T00:00:03.000001Z',
    },
  ],
};

const withText = (text: string, attrs: Record<string, string> = {}) =>
  xml(
    'ticks',
    { xmlns: NS_TICKS, symbol: 'BTCUSDT', count: '1', seq: '100', time: '2020-02-22T00:00:02.150Z', ...attrs },
    text,
  );
const good = '1 9682.19 0.01 b 0 271536';

describe('tick batch codec', () => {
  it('round-trips exactly, prices untouched', () => {
    const el = encodeTickBatch(batch);
    expect(decodeTickBatch(el)).toEqual({ ok: true, value: batch });
  });

  it('writes offsets from the first tick, ticks separated by ";" and no line break', () => {
    const el = encodeTickBatch(batch);
    expect(el.attrs).toMatchObject({ seq: '42377944', time: '2020-02-22T00:00:02.111000Z', count: '3' });
    expect(el.children.join('')).toBe('0 9682 0.132 b 0 307379;3 9682.19 0.01 s 39000 310536;4 0.3 0 u -111001 889001');
  });

  it('round-trips through serialised XML', async () => {
    const { parse } = await import('ltx');
    const el = parse(encodeTickBatch({ ...batch, conflated: 7 }).toString());
    const res = decodeTickBatch(el);
    expect(res.ok && res.value.conflated).toBe(7);
    expect(res.ok && res.value.ticks.map((t) => t.price)).toEqual(['9682', '9682.19', '0.3']);
  });

  it("carries the publisher's fencing token (lease) when given, and rejects a malformed one", () => {
    expect(decodeTickRows(withText(good, { lease: '7' }))).toMatchObject({ ok: true, value: { lease: 7 } });
    const plain = decodeTickRows(withText(good));
    expect(plain.ok && 'lease' in plain.value).toBe(false);
    for (const lease of ['', '-1', '1.5', 'x', '9007199254740993'])
      expect(decodeTickRows(withText(good, { lease })).ok, lease).toBe(false);
    const rows = [{ seq: 5, price: '1', size: '1', side: 'buy' as const, eventMicros: 1, ingestMicros: 2 }];
    expect(encodeTickRows('BTCUSDT', rows, 0, 12).attrs.lease).toBe('12');
    expect(encodeTickRows('BTCUSDT', rows, 0).attrs.lease).toBeUndefined();
  });

  it('accepts a well-formed single tick, and white space around ticks', () => {
    const res = decodeTickBatch(withText(`\n  ${good} \n`));
    expect(res).toMatchObject({
      ok: true,
      value: {
        ticks: [
          {
            seq: 101,
            eventTime: '2020-02-22T00:00:02.150000Z',
            ingestTime: '2020-02-22T00:00:02.421536Z',
            side: 'buy',
          },
        ],
      },
    });
  });

  it.each([
    ['NaN price', good.replace('9682.19', 'NaN'), /price/],
    ['negative price', good.replace('9682.19', '-9682.19'), /price/],
    ['zero price', good.replace('9682.19', '0'), /price/],
    ['exponent price', good.replace('9682.19', '9.68219e3'), /price/],
    ['negative size', good.replace(' 0.01 ', ' -0.01 '), /size/],
    ['bad side', good.replace(' b ', ' x '), /side/],
    ['fractional event offset', good.replace(' 0 ', ' 0.5 '), /event time/],
    ['leading-zero ingest offset', good.replace('271536', '0271536'), /ingest time/],
    ['time before the epoch', good.replace(' 0 ', ' -1582329602150001 '), /event time/],
    ['negative seq offset', good.replace(/^1/, '-1'), /seq offset/],
    ['missing field', good.replace(' b ', ' '), /fields/],
    ['extra field', good.replace(' b ', ' b b '), /fields/],
    ['two spaces', good.replace(' b ', '  b '), /fields/],
  ])('rejects %s with a reason', (_name, text, reason) => {
    const res = decodeTickBatch(withText(text));
    expect(res.ok).toBe(false);
    expect(!res.ok && res.reason).toMatch(reason);
  });

  it.each([
    ['no seq', { seq: '' }, /seq attribute/],
    ['a local time', { time: '2020-02-22T00:00:02.150+01:00' }, /time attribute/],
    ['an impossible date', { time: '2020-02-30T00:00:02Z' }, /time attribute/],
    ['a count of zero', { count: '0' }, /count 0/],
    ['a bad conflated', { conflated: '-1' }, /conflated/],
    ['a bad symbol', { symbol: 'btc usdt' }, /symbol/],
  ])('rejects an item with %s', (_name, attrs, reason) => {
    const res = decodeTickBatch(withText(good, attrs));
    expect(res).toMatchObject({ ok: false, reason: expect.stringMatching(reason) as string });
  });

  it('rejects a seq beyond 2^53-1 instead of rounding it', () => {
    const res = decodeTickBatch(withText(good, { seq: '9007199254740991' }));
    expect(res).toMatchObject({ ok: false, reason: expect.stringMatching(/2\^53/) as string });
  });

  it('rejects a count that does not match the ticks, and a trailing separator', () => {
    expect(decodeTickBatch(withText(`${good};${good.replace(/^1/, '2')}`, { count: '3' }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/count says 3/) as string,
    });
    expect(decodeTickBatch(withText(`${good};`))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/count says 1/) as string,
    });
  });

  it('rejects a batch whose seq does not increase, whole', () => {
    const res = decodeTickBatch(withText(`${good};${good}`, { count: '2' }));
    expect(res).toMatchObject({ ok: false, reason: expect.stringMatching(/seq/) as string });
  });

  it('rejects foreign elements, the previous revision and child elements', () => {
    expect(
      decodeTickBatch(xml('ticks', { xmlns: 'urn:tickdesk:ticks:0', symbol: 'BTCUSDT', count: '1' }, good)).ok,
    ).toBe(false);
    expect(
      decodeTickBatch(
        xml(
          'ticks',
          { xmlns: NS_TICKS, symbol: 'BTCUSDT', count: '1', seq: '1', time: '2020-02-22T00:00:02Z' },
          xml('x'),
        ),
      ).ok,
    ).toBe(false);
  });
});

describe('tick batch codec edges', () => {
  const one = (text: string, attrs: Record<string, string> = {}) =>
    decodeTickBatch(
      xml(
        'ticks',
        { xmlns: NS_TICKS, symbol: 'X', count: '1', seq: '1', time: '1970-01-01T00:00:00Z', ...attrs },
        text,
      ),
    );

  it('refuses inherited property names as a side', () => {
    for (const side of ['constructor', 'toString', '__proto__']) expect(one(`0 1 1 ${side} 0 0`).ok, side).toBe(false);
  });

  it('accepts times up to 2^53-1 µs exactly and refuses one more', () => {
    expect(one(`0 1 1 b ${Number.MAX_SAFE_INTEGER} 0`)).toMatchObject({
      ok: true,
      value: { ticks: [{ eventTime: '2255-06-05T23:47:34.740991Z' }] },
    });
    expect(one('0 1 1 b 9007199254740992 0').ok).toBe(false);
    expect(one('0 1 1 b -9007199254740993 0', { time: '2255-06-05T23:47:34.740991Z' }).ok).toBe(false);
  });

  it('ignores only XML white space around a tick', () => {
    expect(one('\t\r\n 0 1 1 b 0 0 \n').ok).toBe(true);
    expect(one('\u00a00 1 1 b 0 0').ok).toBe(false);
  });
});

describe('sensor values in tick batches (kind="sensor")', () => {
  const at = (seq: number, price: string, micros: number) => ({
    symbol: 'IOT.X',
    seq,
    price,
    size: '0',
    side: 'unknown' as const,
    eventTime: `2026-12-06T15:00:0${micros}.000000Z`,
    ingestTime: `2026-12-06T15:00:0${micros}.500000Z`,
  });
  const sensor: TickBatch = {
    symbol: 'IOT.X',
    conflated: 0,
    kind: 'sensor',
    ticks: [at(1, '-18.5', 1), at(2, '0', 2), at(3, '-0.000000000000000001', 3), at(4, '8.4', 4)],
  };
  const one = (price: string, attrs: Record<string, string> = {}) =>
    decodeTickRows(
      xml(
        'ticks',
        { xmlns: NS_TICKS, symbol: 'IOT.X', count: '1', seq: '1', time: '2026-12-06T15:00:00Z', ...attrs },
        `0 ${price} 0 u 0 0`,
      ),
    );

  it('round-trips negative and zero values exactly, through serialised XML too', async () => {
    const el = encodeTickBatch(sensor);
    expect(el.attrs.kind).toBe('sensor');
    expect(el.children.join('')).toContain(' -18.5 ');
    expect(decodeTickBatch(el)).toEqual({ ok: true, value: sensor });
    const { parse } = await import('ltx');
    const res = decodeTickBatch(parse(el.toString()));
    expect(res.ok && res.value.ticks.map((t) => t.price)).toEqual(['-18.5', '0', '-0.000000000000000001', '8.4']);
    const rows = decodeTickRows(el);
    expect(rows.ok && rows.value.kind).toBe('sensor');
    expect(rows.ok && rows.value.rows.map((r) => r.price)).toEqual(['-18.5', '0', '-0.000000000000000001', '8.4']);
  });

  it('refuses a value of zero or below without kind="sensor" (a market price), and a malformed signed one', () => {
    expect(one('-18.5')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not a positive decimal') as string,
    });
    expect(one('0').ok).toBe(false);
    expect(one('8.4')).toMatchObject({ ok: true });
    expect(one('8.4').ok && 'kind' in (one('8.4') as { value: object }).value).toBe(false);
    for (const bad of ['-0', '-0.0', '--1', '+1', '-1e3', '-.5'])
      expect(one(bad, { kind: 'sensor' }).ok, bad).toBe(false);
    expect(one('-18.5', { kind: 'sensor' })).toMatchObject({ ok: true, value: { rows: [{ price: '-18.5' }] } });
  });

  it('refuses any other kind', () => {
    expect(one('1', { kind: 'market' })).toMatchObject({ ok: false, reason: 'invalid kind attribute' });
  });

  it('encodes kind="sensor" from encodeTickRows when told', () => {
    const row = { seq: 1, price: '-1', size: '0', side: 'unknown' as const, eventMicros: 1e15, ingestMicros: 1e15 };
    expect(encodeTickRows('IOT.X', [row], 0, undefined, 'sensor').attrs.kind).toBe('sensor');
    expect(encodeTickRows('IOT.X', [{ ...row, price: '1' }], 0).attrs.kind).toBeUndefined();
  });
});
