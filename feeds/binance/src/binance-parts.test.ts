import { describe, expect, it } from 'vitest';
import { createBackoff } from './backoff.js';
import { createSequenceTracker } from './sequence-tracker.js';
import { combinedStreamUrl } from './stream-url.js';
import { parseTradeMessage } from './trade-message.js';

describe('parseTradeMessage', () => {
  it('reads a raw (unwrapped) trade and an aggTrade, taker side from m', () => {
    const raw =
      '{"e":"trade","E":1,"s":"ETHBTC","t":158410082,"p":"0.01914100","q":"0.00700000","T":1579481530910,"m":true,"M":true}';
    expect(parseTradeMessage(raw)).toEqual({
      ok: true,
      tick: {
        symbol: 'ETHBTC',
        seq: 158410082,
        price: '0.01914100',
        size: '0.00700000',
        side: 'sell',
        eventTimeMicros: 1579481530910000,
      },
    });
    const agg =
      '{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1,"s":"BTCUSDT","a":5,"p":"1","q":"2","f":1,"l":3,"T":2,"m":false}}';
    expect(parseTradeMessage(agg)).toMatchObject({ ok: true, tick: { seq: 5, side: 'buy', eventTimeMicros: 2000 } });
  });

  it('refuses wrong shapes with stable reasons', () => {
    expect(parseTradeMessage('[1]')).toEqual({ ok: false, reason: 'not a stream event' });
    expect(parseTradeMessage('{"e":"trade","s":"X","t":-1,"p":"1","q":"1","T":1,"m":true}')).toEqual({
      ok: false,
      reason: 'trade without id',
    });
    expect(parseTradeMessage('{"e":"trade","s":"X","t":1,"p":"1","q":"1","T":1}')).toEqual({
      ok: false,
      reason: 'trade without maker flag',
    });
  });
});

describe('createSequenceTracker', () => {
  it('accepts the first id, flags jumps as gaps and repeats as duplicates, per symbol', () => {
    const seq = createSequenceTracker();
    expect(seq.check('A', 10)).toEqual({ kind: 'next' });
    expect(seq.check('B', 500)).toEqual({ kind: 'next' });
    expect(seq.check('A', 11)).toEqual({ kind: 'next' });
    expect(seq.check('A', 11)).toEqual({ kind: 'duplicate' });
    expect(seq.check('A', 9)).toEqual({ kind: 'duplicate' });
    expect(seq.check('A', 15)).toEqual({ kind: 'gap', from: 12, to: 14 });
    expect(seq.check('A', 16)).toEqual({ kind: 'next' });
  });
});

describe('createBackoff', () => {
  it('doubles the cap up to maxMs, jitters below it, and resets', () => {
    const values = [0.5, 0.999, 0.999, 0.999, 0];
    const b = createBackoff({ initialMs: 100, maxMs: 350, random: () => values.shift()! });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([
      { attempt: 1, delayMs: 50 },
      { attempt: 2, delayMs: 200 },
      { attempt: 3, delayMs: 350 },
      { attempt: 4, delayMs: 350 },
    ]);
    b.reset();
    expect(b.next()).toEqual({ attempt: 1, delayMs: 0 });
  });
});

describe('combinedStreamUrl', () => {
  it('builds lower-case stream names under /stream', () => {
    expect(combinedStreamUrl('wss://fstream.binance.com/', ['BTCUSDT'], 'aggTrade')).toBe(
      'wss://fstream.binance.com/stream?streams=btcusdt@aggTrade',
    );
    expect(combinedStreamUrl('wss://fstream.binance.com/stream', ['BTCUSDT', 'SOLUSDT'])).toBe(
      'wss://fstream.binance.com/stream?streams=btcusdt@trade/solusdt@trade',
    );
  });
});
