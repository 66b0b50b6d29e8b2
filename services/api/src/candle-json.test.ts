import { describe, expect, it } from 'vitest';
import { formatMicros } from '@tickdesk/schemas';
import { decodeCandle, toBar } from '@tickdesk/recorder';
import { barJson, bucketTime } from './candle-json.js';

let seed = 3;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const decimal = () =>
  random() < 0.2
    ? '0'
    : `${1 + Math.floor(random() * 99_999)}${random() < 0.7 ? `.${String(Math.floor(random() * 1e6)).replace(/0+$/, '') || '5'}` : ''}`;

describe('candle JSON', () => {
  it('formats bucket starts exactly as formatMicros, any microsecond from 1970 to 2255', () => {
    const edges = [
      0,
      1,
      59_999_999,
      60_000_000,
      86_399_999_999,
      86_400_000_000,
      951_782_400_000_000,
      4_102_444_799_999_999,
      Number.MAX_SAFE_INTEGER,
    ];
    for (const us of edges) expect(bucketTime(us)).toBe(formatMicros(us));
    for (let i = 0; i < 20_000; i++) {
      const us = Math.floor(random() * Number.MAX_SAFE_INTEGER);
      const aligned = us - (us % (random() < 0.5 ? 60_000_000 : 1_000_000));
      expect(bucketTime(us)).toBe(formatMicros(us));
      expect(bucketTime(aligned)).toBe(formatMicros(aligned));
    }
  });

  it('writes what decoding the member and serialising the Bar writes', () => {
    for (let i = 0; i < 5_000; i++) {
      const start = Math.floor((random() * 4e15) / 60e6) * 60e6;
      const member = JSON.stringify([
        start,
        decimal(),
        decimal(),
        decimal(),
        decimal(),
        decimal(),
        1 + Math.floor(random() * 10_000),
      ]);
      expect(barJson('BTCUSDT', '1m', member)).toBe(JSON.stringify(toBar(decodeCandle('BTCUSDT', '1m', member))));
    }
    // Another spelling of a valid member is decoded in full.
    expect(JSON.parse(barJson('EURUSD', '1h', '[ 0, "1.08", "1.09", "1.07", "1.085", "1000", 2 ]'))).toEqual({
      symbol: 'EURUSD',
      interval: '1h',
      start: '1970-01-01T00:00:00.000000Z',
      open: '1.08',
      high: '1.09',
      low: '1.07',
      close: '1.085',
      volume: '1000',
      trades: 2,
    });
  });

  it("writes a sensor's zero and negative values on the fast path, as decoding and serialising would", () => {
    const member = '[60000000,"-18.5","0","-19.25","-0.5","0",4]';
    const json = barJson('IOT.X', '1m', member);
    expect(json).toBe(JSON.stringify(toBar(decodeCandle('IOT.X', '1m', member))));
    expect(JSON.parse(json)).toMatchObject({ open: '-18.5', high: '0', low: '-19.25', close: '-0.5' });
  });

  it.each([
    '[0,"NaN","1","1","1","1",1]',
    '[0,"1","1","1","1","1",0]',
    '[0,"1","1","1","1","1","3"]',
    '[0,"01","1","1","1","1",1]',
    '[0,"1.","1","1","1","1",1]',
    '[0,"1e3","1","1","1","1",1]',
    '[0,"-0","1","1","1","1",1]',
    '[0,"--1","1","1","1","1",1]',
    '[0,"1","1","1","1","-1",1]',
    '{"start":0}',
    'not json',
  ])('refuses a stored member that is not a Bar: %s', (member) => {
    expect(() => barJson('BTCUSDT', '1m', member)).toThrow();
  });
});
