import { describe, expect, it } from 'vitest';
import {
  canonicalDecimal,
  canonicalSignedDecimal,
  isDecimalString,
  isPositiveDecimal,
  isSignedDecimalString,
  SIGNED_DECIMAL_PATTERN,
} from './decimal.js';
import { formatMicros, parseTimestamp } from './time.js';

describe('decimal strings', () => {
  it.each(['0', '1', '0.3', '9682.19', '100000.00000001'])('accepts %s', (s) => expect(isDecimalString(s)).toBe(true));
  it.each(['', '-1', '+1', '1e3', 'NaN', 'Infinity', '01', '1.', '.5', ' 1', '1,5', '0x10'])('refuses %j', (s) =>
    expect(isDecimalString(s)).toBe(false),
  );
  it('knows zero is not positive', () => {
    expect(isPositiveDecimal('0.000')).toBe(false);
    expect(isPositiveDecimal('0.001')).toBe(true);
  });
  it('canonicalises venue text without touching digits', () => {
    expect(canonicalDecimal('9682.10')).toBe('9682.1');
    expect(canonicalDecimal('0009682')).toBe('9682');
    expect(canonicalDecimal('0.30000000000000004')).toBe('0.30000000000000004');
    expect(canonicalDecimal('1e3')).toBeUndefined();
    expect(canonicalDecimal('-1')).toBeUndefined();
  });
});

describe('XEP-0082 timestamps', () => {
  it('round-trip microseconds', () => {
    const us = 1582329602111000 + 379;
    expect(formatMicros(us)).toBe('2020-02-22T00:00:02.111379Z');
    expect(parseTimestamp(formatMicros(us))).toBe(us);
  });
  it('accept millisecond and nanosecond precision', () => {
    expect(parseTimestamp('2020-02-22T00:00:02.111Z')).toBe(1582329602111000);
    expect(parseTimestamp('2020-02-22T00:00:02.111379999Z')).toBe(1582329602111379);
  });
  it.each([
    '2020-02-30T00:00:00Z',
    '2020-02-22T24:00:00Z',
    '2020-02-22 00:00:00Z',
    '2020-02-22T00:00:00+01:00',
    'yesterday',
  ])('refuse %s', (s) => {
    expect(parseTimestamp(s)).toBeUndefined();
  });
});

describe('signed decimal strings (sensor values)', () => {
  it.each(['0', '-18.5', '-0.001', '8.4', '-100000.00000001', '-1.50'])('accepts %s', (s) =>
    expect(isSignedDecimalString(s)).toBe(true),
  );
  it.each(['-0', '-0.0', '--1', '+1', '-', '-.5', '- 1', '-01', '-1e3', '1-'])('refuses %j', (s) =>
    expect(isSignedDecimalString(s)).toBe(false),
  );
  it('keeps the unsigned pattern for market prices', () => {
    expect(isDecimalString('-18.5')).toBe(false);
    expect(new RegExp(SIGNED_DECIMAL_PATTERN).test('-18.5')).toBe(true);
    expect(new RegExp(SIGNED_DECIMAL_PATTERN).test('-0')).toBe(false);
  });
  it('canonicalises sensor text, negative zero to zero', () => {
    expect(canonicalSignedDecimal('-18.50')).toBe('-18.5');
    expect(canonicalSignedDecimal('-0018.5')).toBe('-18.5');
    expect(canonicalSignedDecimal('-0.0')).toBe('0');
    expect(canonicalSignedDecimal('0')).toBe('0');
    expect(canonicalSignedDecimal('8.4')).toBe('8.4');
    for (const bad of ['-\t1', '--1', '+1', '-1e3', '', '-', '1.', 'NaN'])
      expect(canonicalSignedDecimal(bad), bad).toBeUndefined();
  });
});
