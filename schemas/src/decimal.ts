import { Decimal } from 'decimal.js';

/** A non-negative decimal string: no sign, no exponent, no leading zeros, no trailing dot. */
export const DECIMAL_PATTERN = '^(0|[1-9][0-9]*)(\\.[0-9]+)?$';
const decimalRe = new RegExp(DECIMAL_PATTERN);

export { Decimal };

export function isDecimalString(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 40 && decimalRe.test(value);
}

/** True for a decimal string strictly greater than zero. */
export function isPositiveDecimal(value: string): boolean {
  return isDecimalString(value) && /[1-9]/.test(value);
}

/** Parse a decimal string exactly; throws on anything that is not one. */
export function toDecimal(value: string): Decimal {
  if (!isDecimalString(value)) throw new TypeError(`not a decimal string: ${JSON.stringify(value)}`);
  return new Decimal(value);
}

/** Canonical decimal string for a Decimal: plain notation, no exponent, trailing zeros trimmed. */
export function decimalToString(value: Decimal): string {
  const s = value.toFixed();
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** True when `value` is a whole multiple of `step` (both decimal strings). */
export function isMultipleOf(value: string, step: string): boolean {
  return new Decimal(value).mod(step).isZero();
}

/**
 * Normalise a venue's number-like price text ("9682.10", "9682", "1e3" is refused)
 * into our canonical decimal string, or return undefined when it is not one.
 */
export function canonicalDecimal(text: string): string | undefined {
  if (typeof text !== 'string') return undefined;
  const t = text.trim();
  if (!/^[0-9]+(\.[0-9]+)?$/.test(t) || t.length > 40) return undefined;
  let [int = '0', frac = ''] = t.split('.');
  int = int.replace(/^0+(?=[0-9])/, '');
  frac = frac.replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}
