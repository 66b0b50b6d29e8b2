import { describe, expect, it } from 'vitest';
import { at, EVALUATORS, firedPerTick, ids, rule, S, ticks } from './rules.test-util.js';

describe.each(EVALUATORS)('%s: levels and crossings', (_name, create) => {
  it('crossing-up fires on reaching the threshold from below, exactly', () => {
    const ev = create();
    ev.upsert(rule('a', 'crossing-up', { threshold: '0.3', frequency: 'every-time', cooldownSeconds: 0 }));
    expect(firedPerTick(ev, 'BTC', ticks(['0.29', '0.3', '0.31', '0.3', '0.29', '0.31']))).toEqual([
      [],
      ['a'],
      [],
      [],
      [],
      ['a'],
    ]);
  });

  it('crossing-up needs the previous price strictly below: starting at the threshold does not cross', () => {
    const ev = create();
    ev.upsert(rule('a', 'crossing-up', { threshold: '0.3' }));
    expect(firedPerTick(ev, 'BTC', ticks(['0.3', '0.31', '0.3']))).toEqual([[], [], []]);
  });

  it('crossing-down fires on reaching the threshold from above', () => {
    const ev = create();
    ev.upsert(rule('d', 'crossing-down', { threshold: '0.3', frequency: 'every-time', cooldownSeconds: 0 }));
    expect(firedPerTick(ev, 'BTC', ticks(['0.31', '0.3', '0.29', '0.3', '0.31', '0.29']))).toEqual([
      [],
      ['d'],
      [],
      [],
      [],
      ['d'],
    ]);
  });

  it('crossing fires either way, once per touch', () => {
    const ev = create();
    ev.upsert(rule('x', 'crossing', { threshold: '100', frequency: 'every-time', cooldownSeconds: 0 }));
    expect(firedPerTick(ev, 'BTC', ticks(['99', '100', '101', '100', '99', '101', '99']))).toEqual([
      [],
      ['x'],
      [],
      ['x'],
      [],
      ['x'],
      ['x'],
    ]);
  });

  it('no previous price, no crossing; a seeded price is a previous price', () => {
    const a = create();
    a.upsert(rule('x', 'crossing', { threshold: '100' }));
    expect(ids(a.evaluate('BTC', ticks(['101'])))).toEqual([]);
    const b = create();
    b.seedPrice('BTC', '99', 5 * S);
    b.upsert(rule('x', 'crossing', { threshold: '100' }));
    expect(b.evaluate('BTC', ticks(['101']))).toMatchObject([{ ruleId: 'x', price: '101', previousPrice: '99' }]);
  });

  it('greater-than and less-than are strict', () => {
    const ev = create();
    ev.upsert(rule('gt', 'greater-than', { threshold: '0.3', frequency: 'every-time', cooldownSeconds: 0 }));
    ev.upsert(rule('lt', 'less-than', { threshold: '0.3', frequency: 'every-time', cooldownSeconds: 0 }));
    expect(
      firedPerTick(ev, 'BTC', ticks(['0.3', '0.300000000000000000001', '0.3', '0.299999999999999999999', '0.3'])),
    ).toEqual([[], ['gt'], [], ['lt'], []]);
  });

  it('decides exactly where doubles tie: 1e-18 apart', () => {
    const ev = create();
    // Number('0.3') === Number('0.300000000000000001'): only the strings tell them apart.
    ev.upsert(rule('up', 'crossing-up', { threshold: '0.300000000000000001' }));
    ev.upsert(rule('gt', 'greater-than', { threshold: '0.3' }));
    ev.upsert(rule('down', 'crossing-down', { threshold: '0.3' }));
    expect(firedPerTick(ev, 'BTC', ticks(['0.29', '0.3', '0.300000000000000001', '0.3']))).toEqual([
      [],
      [],
      ['gt', 'up'],
      ['down'],
    ]);
  });

  it('0.1 + 0.2 in doubles is not 0.3 in decimals', () => {
    const ev = create();
    ev.upsert(rule('eq', 'crossing-up', { threshold: '0.3' }));
    ev.upsert(rule('float', 'crossing-up', { threshold: String(0.1 + 0.2) })); // 0.30000000000000004
    expect(firedPerTick(ev, 'BTC', ticks(['0.2', '0.3', '0.30000000000000004']))).toEqual([[], ['eq'], ['float']]);
  });

  it('compares long decimals exactly', () => {
    const ev = create();
    const t = '12345678901234567890.123456789012345678'; // 39 characters
    ev.upsert(rule('up', 'crossing-up', { threshold: t }));
    ev.upsert(rule('gt', 'greater-than', { threshold: t }));
    expect(
      firedPerTick(
        ev,
        'BTC',
        ticks(['12345678901234567890.123456789012345677', t, '12345678901234567890.123456789012345679']),
      ),
    ).toEqual([[], ['up'], ['gt']]);
  });

  it('a tick that jumps over several thresholds fires each once, in rule id order', () => {
    const ev = create();
    for (const [id, t] of [
      ['r3', '3'],
      ['r1', '1'],
      ['r2', '2'],
      ['r10', '10'],
    ] as const)
      ev.upsert(rule(id, 'crossing-up', { threshold: t }));
    ev.upsert(rule('r0', 'crossing-down', { threshold: '2' }));
    expect(firedPerTick(ev, 'BTC', ticks(['0.5', '3.5', '11', '1']))).toEqual([
      [],
      ['r1', 'r2', 'r3'],
      ['r10'],
      ['r0'],
    ]);
  });

  it('a level added while it holds fires on the next tick if it still holds', () => {
    const ev = create();
    ev.evaluate('BTC', ticks(['100']));
    ev.upsert(rule('gt', 'greater-than', { threshold: '90' }));
    ev.upsert(rule('gt2', 'greater-than', { threshold: '90' }));
    expect(firedPerTick(ev, 'BTC', ticks(['95']))).toEqual([['gt', 'gt2']]);
    ev.upsert(rule('lt', 'less-than', { threshold: '100' }));
    expect(firedPerTick(ev, 'BTC', ticks(['100', '99']))).toEqual([[], ['lt']]);
  });

  it('a level with no price yet fires on the first tick that satisfies it', () => {
    const ev = create();
    ev.upsert(rule('gt', 'greater-than', { threshold: '90' }));
    expect(firedPerTick(ev, 'BTC', ticks(['80', '91']))).toEqual([[], ['gt']]);
  });

  it('reports the tick, the previous price and the tick’s own event time', () => {
    const ev = create();
    ev.upsert(rule('a', 'crossing-up', { threshold: '10' }));
    const batch = ticks(['9', '11'], 7 * S);
    expect(ev.evaluate('BTC', batch)).toEqual([
      { ruleId: 'a', symbol: 'BTC', seq: batch[1]!.seq, price: '11', previousPrice: '9', eventMicros: 8 * S },
    ]);
  });

  it('keeps instruments apart', () => {
    const ev = create();
    ev.upsert(rule('btc', 'crossing-up', { threshold: '10' }));
    ev.upsert(rule('eth', 'crossing-up', { threshold: '10', symbol: 'ETH' }));
    ev.evaluate('BTC', ticks(['9']));
    expect(ids(ev.evaluate('ETH', ticks(['9', '11'])))).toEqual(['eth']);
    expect(ids(ev.evaluate('BTC', ticks(['11'])))).toEqual(['btc']);
  });

  it('seeding a new price over an old one re-checks the levels it passes', () => {
    const ev = create();
    ev.upsert(rule('gt', 'greater-than', { threshold: '100', frequency: 'every-time', cooldownSeconds: 0 }));
    ev.upsert(rule('x', 'crossing', { threshold: '100' }));
    ev.evaluate('BTC', ticks(['90']));
    ev.seedPrice('BTC', '110', 20 * S);
    expect(firedPerTick(ev, 'BTC', ticks(['111'], 21 * S))).toEqual([['gt']]);
  });
});

describe.each(EVALUATORS)('%s: channels', (_name, create) => {
  const channel = { lower: '10', upper: '20', frequency: 'every-time' as const, cooldownSeconds: 0 };
  it('inside and outside include the bounds in the channel', () => {
    const ev = create();
    ev.upsert(rule('in', 'inside-channel', channel));
    ev.upsert(rule('out', 'outside-channel', channel));
    expect(firedPerTick(ev, 'BTC', ticks(['9.99', '10', '20', '20.01', '15']))).toEqual([
      ['out'],
      ['in'],
      ['in'],
      ['out'],
      ['in'],
    ]);
  });

  it('entering and exiting fire on the change, with inclusive bounds', () => {
    const ev = create();
    ev.upsert(rule('enter', 'entering-channel', channel));
    ev.upsert(rule('exit', 'exiting-channel', channel));
    expect(firedPerTick(ev, 'BTC', ticks(['9', '10', '20', '20.000000000000000001', '19', '9.9', '5']))).toEqual([
      [],
      ['enter'],
      [],
      ['exit'],
      ['enter'],
      ['exit'],
      [],
    ]);
  });

  it('jumping over the whole channel is neither entering nor exiting', () => {
    const ev = create();
    ev.upsert(rule('enter', 'entering-channel', channel));
    ev.upsert(rule('exit', 'exiting-channel', channel));
    expect(firedPerTick(ev, 'BTC', ticks(['5', '25', '5']))).toEqual([[], [], []]);
  });

  it('a one-price channel', () => {
    const ev = create();
    ev.upsert(rule('in', 'inside-channel', { ...channel, lower: '0.3', upper: '0.3' }));
    ev.upsert(rule('enter', 'entering-channel', { ...channel, lower: '0.3', upper: '0.3' }));
    expect(firedPerTick(ev, 'BTC', ticks(['0.2', '0.3', '0.300000000000000001', '0.3']))).toEqual([
      [],
      ['enter', 'in'],
      [],
      ['enter', 'in'],
    ]);
  });
});

describe.each(EVALUATORS)('%s: moves', (_name, create) => {
  it('moving-up measures from the window low, current tick included, and reports it', () => {
    const ev = create();
    ev.upsert(rule('up', 'moving-up', { amount: '5', windowSeconds: 10, frequency: 'every-time', cooldownSeconds: 0 }));
    const batch = ticks(['100', '97', '101', '102', '96', '101'], 0, 2 * S);
    expect(firedPerTick(ev, 'BTC', batch)).toEqual([[], [], [], ['up'], [], ['up']]);
    expect(ev.evaluate('BTC', [at('101.5', 10 * S)])).toMatchObject([
      { ruleId: 'up', price: '101.5', reference: '96' },
    ]);
  });

  it('the window is (t − w, t]: a low exactly w seconds old has left it', () => {
    const ev = create();
    ev.upsert(rule('up', 'moving-up', { amount: '5', windowSeconds: 10, frequency: 'every-time', cooldownSeconds: 0 }));
    expect(
      firedPerTick(ev, 'BTC', [
        at('95', 0),
        at('99', 5 * S),
        at('100', 10 * S - 1),
        at('100', 10 * S),
        at('104', 15 * S - 1),
        at('104', 15 * S),
      ]),
    ).toEqual([[], [], ['up'], [], ['up'], []]);
  });

  it('moving-down measures from the window high', () => {
    const ev = create();
    ev.upsert(rule('down', 'moving-down', { amount: '0.1', windowSeconds: 60 }));
    expect(ev.evaluate('BTC', ticks(['0.5', '0.6', '0.55', '0.5']))).toMatchObject([
      { ruleId: 'down', price: '0.5', reference: '0.6' },
    ]);
  });

  it('percent moves are exact: 1% of 0.3', () => {
    const ev = create();
    ev.upsert(rule('up', 'moving-up-percent', { amount: '1', windowSeconds: 60 }));
    ev.upsert(rule('down', 'moving-down-percent', { amount: '1', windowSeconds: 60 }));
    expect(firedPerTick(ev, 'BTC', ticks(['0.3', '0.302999999999999999', '0.303', '0.2999699999999']))).toEqual([
      [],
      [],
      ['up'],
      ['down'],
    ]);
  });

  it('a move rule added later sees the prices from before it', () => {
    const ev = create();
    ev.evaluate('BTC', ticks(['100', '90'], 0));
    ev.upsert(rule('up', 'moving-up', { amount: '10', windowSeconds: 60 }));
    expect(firedPerTick(ev, 'BTC', ticks(['100'], 2 * S))).toEqual([['up']]);
  });

  it('several amounts on one window fire the ones reached, in id order', () => {
    const ev = create();
    for (const [id, amount] of [
      ['m1', '1'],
      ['m3', '3'],
      ['m2', '2'],
      ['m4', '4'],
    ] as const)
      ev.upsert(rule(id, 'moving-up', { amount, windowSeconds: 60 }));
    expect(firedPerTick(ev, 'BTC', ticks(['10', '12', '13', '20']))).toEqual([[], ['m1', 'm2'], ['m3'], ['m4']]);
  });
});

describe.each(EVALUATORS)('%s: frequencies', (_name, create) => {
  it('once fires and the rule is gone', () => {
    const ev = create();
    ev.upsert(rule('a', 'greater-than', { threshold: '1' }));
    expect(ev.size).toBe(1);
    expect(firedPerTick(ev, 'BTC', ticks(['2', '3']))).toEqual([['a'], []]);
    expect([ev.size, ev.has('a')]).toEqual([0, false]);
  });

  it('once-per-bar fires at most once per bar, aligned to the interval', () => {
    const ev = create();
    ev.upsert(rule('b', 'greater-than', { threshold: '1', frequency: 'once-per-bar', interval: '1m' }));
    const m = 60 * S;
    const batch = [at('2', 10 * m + 1), at('3', 11 * m - 1), at('0.5', 11 * m), at('2', 11 * m + 5), at('2', 12 * m)];
    expect(firedPerTick(ev, 'BTC', batch)).toEqual([['b'], [], [], ['b'], ['b']]);
  });

  it('once-per-bar: the first tick of a later bar is evaluated normally, against the tick before it', () => {
    const ev = create();
    ev.upsert(rule('x', 'crossing-up', { threshold: '10', frequency: 'once-per-bar', interval: '1s' }));
    // Crosses at 0.1 s (fires), falls and crosses again within the bar (dormant); at 1 s the
    // previous price (11, from the dormant bar) is above: no crossing; at 1.5 s it crosses.
    expect(
      firedPerTick(ev, 'BTC', [
        at('9', 0),
        at('11', 100_000),
        at('9', 200_000),
        at('11', 300_000),
        at('12', S),
        at('9', S + 1),
        at('10', 1.5 * S),
      ]),
    ).toEqual([[], ['x'], [], [], [], [], ['x']]);
  });

  it('every-time waits cooldownSeconds of event time; a tick exactly then may fire', () => {
    const ev = create();
    ev.upsert(rule('e', 'greater-than', { threshold: '1', frequency: 'every-time', cooldownSeconds: 5 }));
    expect(
      firedPerTick(ev, 'BTC', [at('2', 0), at('2', 5 * S - 1), at('0', 5 * S), at('2', 5 * S + 1), at('2', 10 * S)]),
    ).toEqual([['e'], [], [], ['e'], []]);
  });

  it('every-time defaults to a 60 s cooldown', () => {
    const ev = create();
    ev.upsert(rule('e', 'greater-than', { threshold: '1', frequency: 'every-time' }));
    expect(firedPerTick(ev, 'BTC', [at('2', 0), at('2', 59 * S), at('2', 60 * S)])).toEqual([['e'], [], ['e']]);
  });

  it('every-time without cooldown fires on every qualifying tick, including the same instant', () => {
    const ev = create();
    ev.upsert(rule('e', 'less-than', { threshold: '1', frequency: 'every-time', cooldownSeconds: 0 }));
    expect(firedPerTick(ev, 'BTC', [at('0.5', 0), at('0.5', 0), at('1', 0), at('0.9', 0)])).toEqual([
      ['e'],
      ['e'],
      [],
      ['e'],
    ]);
  });

  it('a crossing in cooldown misses crossings, then catches the next one', () => {
    const ev = create();
    ev.upsert(rule('x', 'crossing-up', { threshold: '10', frequency: 'every-time', cooldownSeconds: 10 }));
    expect(
      firedPerTick(ev, 'BTC', [
        at('9', 0),
        at('11', S),
        at('9', 2 * S),
        at('11', 3 * S),
        at('12', 11 * S),
        at('9', 12 * S),
        at('10', 13 * S),
      ]),
    ).toEqual([[], ['x'], [], [], [], [], ['x']]);
  });

  it('a level woken from its bar while it still holds fires on that tick', () => {
    const ev = create();
    ev.upsert(rule('in', 'inside-channel', { lower: '1', upper: '2', frequency: 'once-per-bar', interval: '1s' }));
    expect(firedPerTick(ev, 'BTC', [at('1.5', 0), at('1.6', 0.5 * S), at('1.7', S), at('1.8', 1.2 * S)])).toEqual([
      ['in'],
      [],
      ['in'],
      [],
    ]);
  });

  it('an earlier event time counts as the latest seen (no time travel for bars and cooldowns)', () => {
    const ev = create();
    ev.upsert(rule('e', 'greater-than', { threshold: '1', frequency: 'every-time', cooldownSeconds: 5 }));
    expect(firedPerTick(ev, 'BTC', [at('2', 10 * S), at('2', 0), at('2', 14 * S), at('2', 15 * S)])).toEqual([
      ['e'],
      [],
      [],
      ['e'],
    ]);
  });
});

describe.each(EVALUATORS)('%s: changes while running', (_name, create) => {
  it('remove stops a rule; upsert replaces it and resets its state', () => {
    const ev = create();
    ev.upsert(rule('e', 'greater-than', { threshold: '1', frequency: 'every-time', cooldownSeconds: 60 }));
    expect(ids(ev.evaluate('BTC', [at('2', 0)]))).toEqual(['e']);
    ev.upsert(rule('e', 'greater-than', { threshold: '1', frequency: 'every-time', cooldownSeconds: 60 }));
    expect(ids(ev.evaluate('BTC', [at('2', S)]))).toEqual(['e']);
    ev.upsert(rule('e', 'greater-than', { threshold: '5', frequency: 'every-time', cooldownSeconds: 0 }));
    expect(firedPerTick(ev, 'BTC', [at('4', 2 * S), at('6', 3 * S)])).toEqual([[], ['e']]);
    expect(ev.remove('e')).toBe(true);
    expect(ev.remove('e')).toBe(false);
    expect(ids(ev.evaluate('BTC', [at('7', 4 * S)]))).toEqual([]);
    expect(ev.size).toBe(0);
  });

  it('expire removes rules whose expiry is due, by id, whatever their state', () => {
    const ev = create();
    ev.upsert(rule('b', 'greater-than', { threshold: '1', expiresAtMicros: 100 }));
    ev.upsert(rule('a', 'crossing', { threshold: '1', expiresAtMicros: 50 }));
    ev.upsert(rule('c', 'moving-up', { amount: '1', windowSeconds: 5, expiresAtMicros: 200 }));
    ev.upsert(rule('d', 'greater-than', { threshold: '1', frequency: 'every-time', expiresAtMicros: 100 }));
    ev.evaluate('BTC', [at('2', 0)]); // b fires once (gone); d becomes dormant
    expect(ev.expire(49)).toEqual([]);
    expect(ev.expire(100)).toEqual(['a', 'd']);
    expect(ev.expire(1000)).toEqual(['c']);
    expect(ev.size).toBe(0);
  });

  it('an upserted expiry replaces the old one', () => {
    const ev = create();
    ev.upsert(rule('a', 'crossing', { threshold: '1', expiresAtMicros: 50 }));
    ev.upsert(rule('a', 'crossing', { threshold: '1', expiresAtMicros: 500 }));
    expect(ev.expire(100)).toEqual([]);
    expect(ev.expire(500)).toEqual(['a']);
  });

  it('a rule given lastFiredMicros starts dormant as if it had fired then', () => {
    const ev = create();
    ev.upsert(
      rule('e', 'greater-than', {
        threshold: '1',
        frequency: 'every-time',
        cooldownSeconds: 10,
        lastFiredMicros: 5 * S,
      }),
    );
    ev.upsert(
      rule('b', 'greater-than', { threshold: '1', frequency: 'once-per-bar', interval: '1m', lastFiredMicros: 30 * S }),
    );
    ev.upsert(rule('o', 'greater-than', { threshold: '1', lastFiredMicros: 5 * S })); // once: ignored
    ev.upsert(
      rule('x', 'crossing-up', {
        threshold: '1',
        frequency: 'every-time',
        cooldownSeconds: 10,
        lastFiredMicros: 5 * S,
      }),
    );
    expect(
      firedPerTick(ev, 'BTC', [
        at('0', 0),
        at('2', 14 * S),
        at('2', 15 * S),
        at('0', 16 * S),
        at('2', 59 * S),
        at('2', 60 * S),
      ]),
    ).toEqual([[], ['o'], ['e'], [], ['e', 'x'], ['b']]);
  });

  it('refuses a spec it cannot evaluate', () => {
    const ev = create();
    expect(() => ev.upsert(rule('a', 'crossing'))).toThrow(/threshold/);
    expect(() => ev.upsert(rule('a', 'moving-up', { amount: '1', windowSeconds: 0 }))).toThrow(/windowSeconds/);
    expect(() => ev.upsert(rule('a', 'inside-channel', { lower: '1' }))).toThrow(/channel/);
    expect(() => ev.upsert(rule('a', 'crossing', { threshold: '1', frequency: 'once-per-bar' }))).toThrow(/interval/);
  });
});

describe.each(EVALUATORS)('%s: edge cases of the formulas', (_name, create) => {
  it('a window low of 0 satisfies any percentage (the cross-multiplied formula, taken literally)', () => {
    const ev = create();
    ev.upsert(
      rule('p', 'moving-up-percent', { amount: '50', windowSeconds: 60, frequency: 'every-time', cooldownSeconds: 0 }),
    );
    expect(firedPerTick(ev, 'BTC', ticks(['1', '0', '0', '0.000000000000000001']))).toEqual([[], ['p'], ['p'], ['p']]);
  });

  it('a channel with lower above upper is never inside', () => {
    const ev = create();
    ev.upsert(rule('in', 'inside-channel', { lower: '2', upper: '1', frequency: 'every-time', cooldownSeconds: 0 }));
    ev.upsert(rule('out', 'outside-channel', { lower: '2', upper: '1', frequency: 'every-time', cooldownSeconds: 0 }));
    expect(firedPerTick(ev, 'BTC', ticks(['1', '1.5', '2']))).toEqual([['out'], ['out'], ['out']]);
  });
});
