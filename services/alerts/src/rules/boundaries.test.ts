import { describe, expect, it } from 'vitest';
import { at, EVALUATORS, firedPerTick, S } from './rules.test-util.js';
import type { RuleSpec } from './types.js';

// The worked examples of docs/alerts-protocol.md §4.1 ("At the boundaries"), one test per
// statement, against both the rule index and the reference evaluator. Times are event
// times from 10:00:00 UTC on 4 Dec 2026 (a whole minute, so bars start there too).
const T0 = Date.UTC(2026, 11, 4, 10) * 1000;
const sec = (s: number): number => T0 + s * S;
// Rules that may fire on each of several ticks: a 10 s cooldown (the desk's default
// minimum) with ticks 15 s apart.
const every10s = { frequency: 'every-time', cooldownSeconds: 10 } as const;
const spaced = (prices: string[], from = 0) => prices.map((p, i) => at(p, sec(from + 15 * i)));

function btc(id: string, condition: RuleSpec['condition'], fields: Partial<RuleSpec>): RuleSpec {
  return { id, symbol: 'BTCUSDT', condition, frequency: 'once', ...fields };
}

describe.each(EVALUATORS)('%s: rule semantics at the boundaries', (_name, create) => {
  it('a move window of W s leaves out a price exactly W s old', () => {
    const ev = create();
    ev.upsert(btc('up', 'moving-up', { amount: '50', windowSeconds: 60 }));
    // 65000 at 10:00:00 is 60 s old at 10:01:00: the low is 65020, the move only 30.
    expect(firedPerTick(ev, 'BTCUSDT', [at('65000', sec(0)), at('65020', sec(30)), at('65050', sec(60))])).toEqual([
      [],
      [],
      [],
    ]);
    const early = create();
    early.upsert(btc('up', 'moving-up', { amount: '50', windowSeconds: 60 }));
    // One microsecond earlier 65000 is still inside.
    expect(
      early.evaluate('BTCUSDT', [at('65000', sec(0)), at('65020', sec(30)), at('65050', sec(60) - 1)]),
    ).toMatchObject([{ ruleId: 'up', price: '65050', reference: '65000' }]);
  });

  it('a move of exactly the amount, or exactly the percentage, fires', () => {
    const ev = create();
    ev.upsert(btc('abs', 'moving-up', { amount: '50', windowSeconds: 60 }));
    ev.upsert(btc('pct', 'moving-up-percent', { amount: '1', windowSeconds: 60 }));
    // 1 % of 65000 is 650.
    expect(
      firedPerTick(ev, 'BTCUSDT', [
        at('65000', sec(0)),
        at('65049.99', sec(1)),
        at('65050', sec(2)),
        at('65649.99', sec(3)),
        at('65650', sec(4)),
      ]),
    ).toEqual([[], [], ['abs'], [], ['pct']]);
  });

  it('a cooldown of C s lets the rule fire again exactly C s after it fired, not a microsecond before', () => {
    const ev = create();
    ev.upsert(btc('gt', 'greater-than', { threshold: '65000', frequency: 'every-time', cooldownSeconds: 60 }));
    expect(
      firedPerTick(ev, 'BTCUSDT', [
        at('65001', sec(0)),
        at('65002', sec(60) - 1),
        at('65003', sec(60)),
        at('65004', sec(61)),
      ]),
    ).toEqual([['gt'], [], ['gt'], []]);
  });

  it('a rule expiring at T fires on a tick just before T, not on a tick at exactly T or later', () => {
    const before = create();
    before.upsert(btc('gt', 'greater-than', { threshold: '65000', expiresAtMicros: sec(1800) }));
    expect(firedPerTick(before, 'BTCUSDT', [at('65001', sec(1800) - 1)])).toEqual([['gt']]);
    const ev = create();
    ev.upsert(btc('gt', 'greater-than', { threshold: '65000', expiresAtMicros: sec(1800) }));
    expect(firedPerTick(ev, 'BTCUSDT', [at('65002', sec(1800)), at('65003', sec(1801))])).toEqual([[], []]);
    // Still held until the sweep retires it on the wall clock.
    expect(ev.has('gt')).toBe(true);
    expect(ev.expire(sec(1800))).toEqual(['gt']);
  });

  it('after the expiry sweep, a late tick dated before T does not fire either', () => {
    const ev = create();
    ev.upsert(btc('gt', 'greater-than', { threshold: '65000', expiresAtMicros: sec(1800) }));
    expect(ev.expire(sec(1800))).toEqual(['gt']);
    expect(ev.evaluate('BTCUSDT', [at('65001', sec(1799))])).toEqual([]);
  });

  it('an expired rule stays silent for every kind of condition, and for a late tick dated before T', () => {
    const ev = create();
    const expiresAtMicros = sec(10);
    ev.upsert(btc('x', 'crossing', { threshold: '65000', expiresAtMicros }));
    ev.upsert(btc('in', 'inside-channel', { lower: '65000', upper: '66000', expiresAtMicros }));
    ev.upsert(btc('up', 'moving-up', { amount: '10', windowSeconds: 60, expiresAtMicros }));
    // From 10:00:10 on, each tick would fire all three. The third is dated before T but
    // arrives after one dated T: it counts as T.
    expect(
      firedPerTick(ev, 'BTCUSDT', [
        at('64990', sec(9)),
        at('65010', sec(10)),
        at('64980', sec(9.5)),
        at('65020', sec(11)),
      ]),
    ).toEqual([[], [], [], []]);
  });

  it('landing exactly on the threshold is a crossing; leaving it again, either way, is not another', () => {
    const ev = create();
    ev.upsert(btc('up', 'crossing-up', { threshold: '65000', ...every10s }));
    ev.upsert(btc('down', 'crossing-down', { threshold: '65000', ...every10s }));
    ev.upsert(btc('cross', 'crossing', { threshold: '65000', ...every10s }));
    expect(
      firedPerTick(ev, 'BTCUSDT', spaced(['64990', '65000', '64990', '65000', '65010', '65000', '64990'])),
    ).toEqual([[], ['cross', 'up'], [], ['cross', 'up'], [], ['cross', 'down'], []]);
  });

  it('greater-than and less-than do not hold at exactly the threshold', () => {
    const ev = create();
    ev.upsert(btc('gt', 'greater-than', { threshold: '65000', ...every10s }));
    ev.upsert(btc('lt', 'less-than', { threshold: '65000', ...every10s }));
    expect(firedPerTick(ev, 'BTCUSDT', spaced(['65000', '65000.01', '65000', '64999.99']))).toEqual([
      [],
      ['gt'],
      [],
      ['lt'],
    ]);
  });

  it('channel bounds are inside: landing on a bound enters, leaving a bound for outside exits', () => {
    const ev = create();
    const channel = { lower: '64900', upper: '65100', ...every10s };
    ev.upsert(btc('enter', 'entering-channel', channel));
    ev.upsert(btc('exit', 'exiting-channel', channel));
    ev.upsert(btc('in', 'inside-channel', channel));
    ev.upsert(btc('out', 'outside-channel', channel));
    expect(firedPerTick(ev, 'BTCUSDT', spaced(['64800', '64900', '65100', '65100.01', '65100', '64899.99']))).toEqual([
      ['out'],
      ['enter', 'in'],
      ['in'],
      ['exit', 'out'],
      ['enter', 'in'],
      ['exit', 'out'],
    ]);
    // A jump over the whole channel neither enters nor exits.
    expect(firedPerTick(ev, 'BTCUSDT', spaced(['64800', '65200'], 90))).toEqual([['out'], ['out']]);
  });

  it('once per bar: a tick at exactly the start of the next bar belongs to it and may fire', () => {
    const ev = create();
    ev.upsert(btc('bar', 'greater-than', { threshold: '65000', frequency: 'once-per-bar', interval: '1m' }));
    expect(
      firedPerTick(ev, 'BTCUSDT', [
        at('65001', sec(0)),
        at('65002', sec(60) - 1),
        at('65003', sec(60)),
        at('65004', sec(119)),
      ]),
    ).toEqual([['bar'], [], ['bar'], []]);
  });

  it('once per bar: a crossing on the first tick of a new bar compares with the tick before it, even from the slept bar', () => {
    const ev = create();
    ev.upsert(btc('x', 'crossing-up', { threshold: '65000', frequency: 'once-per-bar', interval: '1m' }));
    // Fires at 10:00:10; crosses again at 10:00:40 while asleep; at 10:01:00 the previous
    // price (65010, from the slept bar) is above: no crossing; at 10:01:20 it crosses.
    const batch = [
      at('64990', sec(0)),
      at('65010', sec(10)),
      at('64990', sec(20)),
      at('65010', sec(40)),
      at('65020', sec(60)),
      at('64990', sec(70)),
      at('65000', sec(80)),
    ];
    expect(firedPerTick(ev, 'BTCUSDT', batch)).toEqual([[], ['x'], [], [], [], [], ['x']]);
  });
});
