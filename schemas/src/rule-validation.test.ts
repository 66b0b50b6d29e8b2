import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { RuleInput } from './rule.js';
import { validateRuleInput, type RuleValidationContext } from './rule-validation.js';
import { parseTimestamp } from './time.js';

const now = parseTimestamp('2026-03-01T12:00:00Z')!;
const ctx: RuleValidationContext = {
  symbols: new Set(['BTCUSDT', 'ETHUSDT']),
  traders: new Set(['alice', 'bob']),
  nowMicros: now,
};
const base = {
  symbol: 'BTCUSDT',
  condition: 'crossing-up',
  threshold: '65000.5',
  frequency: 'once',
  priority: 'normal',
};

function refused(input: unknown, context = ctx): { field: string; message: string } {
  const r = validateRuleInput(input, context);
  if (r.ok) throw new Error(`accepted ${JSON.stringify(input)}`);
  return { field: r.field, message: r.message };
}

describe('validateRuleInput: accepted rules', () => {
  it('accepts a level rule and returns a value that satisfies the RuleInput schema', () => {
    const r = validateRuleInput(base, ctx);
    expect(r).toEqual({ ok: true, value: base });
    expect(Value.Check(RuleInput, r.ok && r.value)).toBe(true);
  });

  it('canonicalises decimals', () => {
    const r = validateRuleInput(
      { ...base, condition: 'inside-channel', threshold: undefined, lower: '64000.500', upper: '64000.50' },
      ctx,
    );
    expect(r.ok && [r.value.lower, r.value.upper]).toEqual(['64000.5', '64000.5']);
  });

  it('fills in the default cooldown for every-time and keeps an explicit one at the minimum', () => {
    const a = validateRuleInput({ ...base, frequency: 'every-time' }, ctx);
    expect(a.ok && a.value.cooldownSeconds).toBe(60);
    const b = validateRuleInput({ ...base, frequency: 'every-time', cooldownSeconds: 10 }, ctx);
    expect(b.ok && b.value.cooldownSeconds).toBe(10);
  });

  it('accepts every condition with its own fields, every frequency and the optional fields', () => {
    const inputs = [
      { ...base, condition: 'less-than', threshold: '0' },
      {
        ...base,
        condition: 'outside-channel',
        threshold: undefined,
        lower: '1',
        upper: '2',
        frequency: 'once-per-bar',
        interval: '1h',
      },
      { ...base, condition: 'moving-down-percent', threshold: undefined, amount: '100', windowSeconds: 86_400 },
      {
        ...base,
        expiresAt: '2026-03-01T12:00:00.000001Z',
        backup: 'bob',
        priority: 'critical',
        message: 'é'.repeat(500),
      },
    ];
    for (const input of inputs) {
      const r = validateRuleInput(JSON.parse(JSON.stringify(input)), ctx);
      expect(r.ok, JSON.stringify(r)).toBe(true);
      expect(Value.Check(RuleInput, r.ok && r.value)).toBe(true);
    }
  });

  it('accepts TAB, LF and CR in a message', () => {
    expect(validateRuleInput({ ...base, message: 'one\ttwo\r\nthree' }, ctx).ok).toBe(true);
  });

  it('does not check the backup against traders when none are given', () => {
    expect(validateRuleInput({ ...base, backup: 'carol' }, { symbols: ctx.symbols, nowMicros: now }).ok).toBe(true);
  });
});

describe('validateRuleInput: refusals name the field', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['not an object', [base], 'rule', /object/],
    ['unknown field', { ...base, colour: 'red' }, 'colour', /unknown field/],
    ['missing symbol', { ...base, symbol: undefined }, 'symbol', /required/],
    ['unknown instrument', { ...base, symbol: 'DOGEUSDT' }, 'symbol', /unknown instrument/],
    ['malformed symbol', { ...base, symbol: 'btc usdt' }, 'symbol', /symbol/],
    ['unknown condition', { ...base, condition: 'sideways' }, 'condition', /one of crossing, /],
    ['threshold as a number', { ...base, threshold: 65000.5 }, 'threshold', /decimal string such as 65000.5/],
    ['threshold with exponent', { ...base, threshold: '6.5e4' }, 'threshold', /decimal string/],
    ['threshold with leading zero', { ...base, threshold: '065000' }, 'threshold', /decimal string/],
    ['negative threshold', { ...base, threshold: '-1.5' }, 'threshold', /negative/],
    ['too long a threshold', { ...base, threshold: '1.' + '1'.repeat(40) }, 'threshold', /decimal string/],
    ['missing threshold', { ...base, threshold: undefined }, 'threshold', /required for condition crossing-up/],
    ['lower on a crossing', { ...base, lower: '1' }, 'lower', /not used by condition crossing-up/],
    ['amount on a level', { ...base, condition: 'greater-than', amount: '1' }, 'amount', /not used/],
    [
      'threshold on a channel',
      { ...base, condition: 'inside-channel', lower: '1', upper: '2' },
      'threshold',
      /not used/,
    ],
    ['missing upper', { ...base, condition: 'inside-channel', threshold: undefined, lower: '1' }, 'upper', /required/],
    [
      'negative lower',
      { ...base, condition: 'inside-channel', threshold: undefined, lower: '-1', upper: '2' },
      'lower',
      /negative/,
    ],
    [
      'lower above upper',
      { ...base, condition: 'exiting-channel', threshold: undefined, lower: '2.00000000000000000001', upper: '2' },
      'lower',
      /greater than upper/,
    ],
    [
      'missing window',
      { ...base, condition: 'moving-up', threshold: undefined, amount: '5' },
      'windowSeconds',
      /required/,
    ],
    [
      'missing amount',
      { ...base, condition: 'moving-up', threshold: undefined, windowSeconds: 60 },
      'amount',
      /required/,
    ],
    [
      'window zero',
      { ...base, condition: 'moving-up', threshold: undefined, amount: '5', windowSeconds: 0 },
      'windowSeconds',
      /whole number/,
    ],
    [
      'window fractional',
      { ...base, condition: 'moving-up', threshold: undefined, amount: '5', windowSeconds: 1.5 },
      'windowSeconds',
      /whole number/,
    ],
    [
      'window as a string',
      { ...base, condition: 'moving-up', threshold: undefined, amount: '5', windowSeconds: '60' },
      'windowSeconds',
      /whole number/,
    ],
    [
      'amount zero',
      { ...base, condition: 'moving-down', threshold: undefined, amount: '0.000', windowSeconds: 60 },
      'amount',
      /greater than zero/,
    ],
    [
      'fall beyond 100 %',
      { ...base, condition: 'moving-down-percent', threshold: undefined, amount: '100.1', windowSeconds: 60 },
      'amount',
      /at most 100/,
    ],
    ['missing frequency', { ...base, frequency: undefined }, 'frequency', /required/],
    ['unknown frequency', { ...base, frequency: 'twice' }, 'frequency', /one of once, once-per-bar, every-time/],
    ['bar without interval', { ...base, frequency: 'once-per-bar' }, 'interval', /required for frequency once-per-bar/],
    ['unknown interval', { ...base, frequency: 'once-per-bar', interval: '5m' }, 'interval', /one of 1s, 1m, 1h/],
    ['interval with once', { ...base, interval: '1m' }, 'interval', /only used with frequency once-per-bar/],
    [
      'cooldown with once-per-bar',
      { ...base, frequency: 'once-per-bar', interval: '1m', cooldownSeconds: 5 },
      'cooldownSeconds',
      /only used with frequency every-time/,
    ],
    ['negative cooldown', { ...base, frequency: 'every-time', cooldownSeconds: -1 }, 'cooldownSeconds', /whole number/],
    ['expiry in the past', { ...base, expiresAt: '2026-03-01T11:59:59.999999Z' }, 'expiresAt', /future/],
    ['expiry now', { ...base, expiresAt: '2026-03-01T12:00:00Z' }, 'expiresAt', /future/],
    ['expiry not UTC', { ...base, expiresAt: '2026-03-01T13:00:00+01:00' }, 'expiresAt', /XEP-0082/],
    ['impossible expiry date', { ...base, expiresAt: '2026-02-30T12:00:00Z' }, 'expiresAt', /XEP-0082/],
    ['expiry as a number', { ...base, expiresAt: now + 1 }, 'expiresAt', /XEP-0082/],
    ['unknown backup', { ...base, backup: 'mallory' }, 'backup', /unknown trader/],
    ['malformed backup', { ...base, backup: 'Bob Smith' }, 'backup', /username/],
    ['missing priority', { ...base, priority: undefined }, 'priority', /required/],
    ['unknown priority', { ...base, priority: 'urgent' }, 'priority', /normal, critical/],
    ['long message', { ...base, message: 'x'.repeat(501) }, 'message', /at most 500/],
    ['long message in UTF-16 units', { ...base, message: '😀'.repeat(251) }, 'message', /at most 500/],
    ['message not a string', { ...base, message: 42 }, 'message', /string/],
    [
      'message with a bell',
      { ...base, message: 'one\u0007bell' },
      'message',
      /control character U\+0007 \(at character 4\)/,
    ],
    ['message with NUL', { ...base, message: '\u0000' }, 'message', /U\+0000/],
    ['message with a C1 control', { ...base, message: 'next\u0085line' }, 'message', /U\+0085/],
    ['message with U+FFFF', { ...base, message: 'x\uFFFF' }, 'message', /U\+FFFF/],
    ['message with a lone surrogate', { ...base, message: 'x\uD83D' }, 'message', /unpaired surrogate/],
  ];
  it.each(cases)('%s', (_name, input, field, message) => {
    const r = refused(JSON.parse(JSON.stringify(input)));
    expect(r.field).toBe(field);
    expect(r.message).toMatch(message);
  });

  it('refuses a __proto__ key from JSON as an unknown field', () => {
    expect(refused(JSON.parse('{"__proto__": {"x": 1}, "symbol": "BTCUSDT"}')).field).toBe('__proto__');
  });
});

describe('validateRuleInput: remote recipients and backups', () => {
  const federated: RuleValidationContext = { ...ctx, peers: new Set(['deskb.example']) };

  it("accepts a partner desk's trader as recipient or backup, as a bare JID of a configured peer", () => {
    const input = { ...base, recipient: 'carol@deskb.example', backup: 'dave@deskb.example' };
    const r = validateRuleInput(input, federated);
    expect(r).toEqual({ ok: true, value: input });
    expect(r.ok && Value.Check(RuleInput, r.value)).toBe(true);
  });

  it('keeps local names as they are: a local recipient must be a trader', () => {
    expect(validateRuleInput({ ...base, recipient: 'bob' }, federated)).toEqual({
      ok: true,
      value: { ...base, recipient: 'bob' },
    });
    expect(refused({ ...base, recipient: 'mallory' }, federated)).toEqual({
      field: 'recipient',
      message: 'unknown trader mallory',
    });
  });

  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    [
      'a domain that is not a peer',
      { ...base, recipient: 'carol@elsewhere.example' },
      'recipient',
      /not one of this desk's peers/,
    ],
    [
      'a backup of a domain that is not a peer',
      { ...base, backup: 'carol@elsewhere.example' },
      'backup',
      /not on a federated desk/,
    ],
    [
      'a subdomain of a peer',
      { ...base, recipient: 'carol@pubsub.deskb.example' },
      'recipient',
      /not one of this desk's peers/,
    ],
    ['a full JID', { ...base, recipient: 'carol@deskb.example/phone' }, 'recipient', /bare JID/],
    ['a JID with capitals', { ...base, recipient: 'Carol@deskb.example' }, 'recipient', /bare JID/],
    ['a JID with no local part', { ...base, recipient: '@deskb.example' }, 'recipient', /bare JID/],
    ['a recipient that is not a string', { ...base, recipient: 7 }, 'recipient', /bare JID/],
  ];
  it.each(cases)('refuses %s', (_name, input, field, message) => {
    const r = refused(input, federated);
    expect(r.field).toBe(field);
    expect(r.message).toMatch(message);
  });

  it('refuses every remote JID when the desk has no peers', () => {
    expect(refused({ ...base, recipient: 'carol@deskb.example' }).message).toMatch(/not one of this desk's peers/);
  });
});

describe('validateRuleInput: sensor instruments', () => {
  const sensors: RuleValidationContext = {
    ...ctx,
    symbols: new Set(['BTCUSDT', 'IOT.X', 'IOT.WARM']),
    sensors: new Map([
      ['IOT.X', { min: '-40' }],
      ['IOT.WARM', { min: '0.5' }],
    ]),
  };
  const on = (symbol: string, fields: Record<string, unknown>) => ({ ...base, symbol, ...fields });

  it.each([
    ['crossing-down', '-18', '-18'],
    ['greater-than', '-5.50', '-5.5'],
    ['less-than', '0', '0'],
    ['less-than', '-0.0', '0'],
  ])('accepts %s %s on a sensor, canonical (%s)', (condition, threshold, canonical) => {
    const r = validateRuleInput(on('IOT.X', { condition, threshold }), sensors);
    expect(r).toMatchObject({ ok: true, value: { threshold: canonical } });
    expect(Value.Check(RuleInput, r.ok && r.value)).toBe(true);
  });

  it('accepts a channel across zero on a sensor', () => {
    const r = validateRuleInput(
      on('IOT.X', { condition: 'inside-channel', threshold: undefined, lower: '-18.5', upper: '-0.5' }),
      sensors,
    );
    expect(r).toMatchObject({ ok: true, value: { lower: '-18.5', upper: '-0.5' } });
    expect(
      refused(
        on('IOT.X', { condition: 'inside-channel', threshold: undefined, lower: '-0.5', upper: '-18.5' }),
        sensors,
      ),
    ).toMatchObject({ field: 'lower', message: expect.stringMatching(/greater than upper/) as string });
  });

  it('still refuses a negative threshold on a market instrument, and malformed signed ones on a sensor', () => {
    expect(refused(on('BTCUSDT', { threshold: '-18' }), sensors)).toMatchObject({
      field: 'threshold',
      message: expect.stringMatching(/negative/) as string,
    });
    for (const bad of ['--1', '-', '+1', '-1e3', '-.5'])
      expect(refused(on('IOT.X', { threshold: bad }), sensors).field, bad).toBe('threshold');
    expect(refused(on('IOT.X', { threshold: -18 }), sensors)).toMatchObject({
      message: expect.stringMatching(/quotes/) as string,
    });
  });

  it('keeps move amounts positive on a sensor', () => {
    const move = { condition: 'moving-down', threshold: undefined, windowSeconds: 60 };
    expect(validateRuleInput(on('IOT.X', { ...move, amount: '2.5' }), sensors).ok).toBe(true);
    expect(refused(on('IOT.X', { ...move, amount: '-2.5' }), sensors).field).toBe('amount');
  });

  it('refuses a percentage move on a sensor whose range reaches zero or below, naming the condition', () => {
    const pct = { condition: 'moving-up-percent', threshold: undefined, amount: '10', windowSeconds: 60 };
    expect(refused(on('IOT.X', pct), sensors)).toMatchObject({
      field: 'condition',
      message: expect.stringMatching(/IOT\.X.*-40/) as string,
    });
    expect(refused(on('IOT.X', { ...pct, condition: 'moving-down-percent' }), sensors).field).toBe('condition');
    expect(validateRuleInput(on('IOT.WARM', pct), sensors).ok).toBe(true);
  });
});
