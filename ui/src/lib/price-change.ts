import { Decimal, decimalToString, isSignedDecimalString } from '@tickdesk/schemas';

export interface PriceChange {
  /** Signed decimal string: "+12.5", "-0.0003", "0". */
  value: string;
  /** Signed percentage with two decimals: "+0.12%". */
  percent: string;
  direction: 'up' | 'down' | 'flat';
}

/**
 * last − reference, exactly (decimal.js), and the same as a percentage of the reference:
 * none of a reference at or below zero (a sensor's value), where a percentage means nothing.
 */
export function priceChange(last: string, reference: string): PriceChange | undefined {
  if (!isSignedDecimalString(last) || !isSignedDecimalString(reference)) return undefined;
  const ref = new Decimal(reference);
  const diff = new Decimal(last).minus(ref);
  const sign = diff.isZero() ? '' : diff.isPositive() ? '+' : '-';
  const value = `${sign}${decimalToString(diff.abs())}`;
  const pct = ref.lte(0) ? undefined : diff.div(ref).times(100).toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN);
  const percent =
    pct === undefined ? '' : `${pct.isZero() ? '' : pct.isPositive() ? '+' : '-'}${pct.abs().toFixed(2)}%`;
  return { value, percent, direction: sign === '+' ? 'up' : sign === '-' ? 'down' : 'flat' };
}
