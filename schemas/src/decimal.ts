import { Decimal } from 'decimal.js';

/** A non-negative decimal string: no sign, no exponent, no leading zeros, no trailing dot. */
export const DECIMAL_PATTERN = '^(0|[1-9][0-9]*)(\\.[0-9]+)?$';
const decimalRe = new RegExp(DECIMAL_PATTERN);
const canonicalRe = /^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$/;

/**
 * A decimal string that may be negative: a sensor's value (a freezer at -18.5 °C). The
 * unsigned pattern stays the rule for market prices and sizes. No "-0": zero has one
 * spelling, so that equal values compare equal by their text.
 */
export const SIGNED_DECIMAL_PATTERN = '^(?!-0(\\.0+)?$)-?(0|[1-9][0-9]*)(\\.[0-9]+)?$';
const signedRe = new RegExp(SIGNED_DECIMAL_PATTERN);

export { Decimal };

export function isDecimalString(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 40 && decimalRe.test(value);
}

/** A sensor value: isDecimalString, or the same with a minus sign (never "-0"). */
export function isSignedDecimalString(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 40 && signedRe.test(value);
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
  if (text.length <= 40 && canonicalRe.test(text)) return text;
  const t = text.trim();
  if (!/^[0-9]+(\.[0-9]+)?$/.test(t) || t.length > 40) return undefined;
  let [int = '0', frac = ''] = t.split('.');
  int = int.replace(/^0+(?=[0-9])/, '');
  frac = frac.replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}

/** canonicalDecimal for a sensor value that may carry a minus sign ("-18.50" → "-18.5", "-0.0" → "0"). */
export function canonicalSignedDecimal(text: string): string | undefined {
  if (typeof text !== 'string') return undefined;
  const t = text.trim();
  if (t.charCodeAt(0) !== 45) return canonicalDecimal(t);
  const d = t.charCodeAt(1);
  const magnitude = d >= 48 && d <= 57 ? canonicalDecimal(t.slice(1)) : undefined;
  if (magnitude === undefined || t.length > 41) return undefined;
  return magnitude === '0' ? '0' : `-${magnitude}`;
}

/**
 * Exact order of two decimal strings matching SIGNED_DECIMAL_PATTERN (so also of
 * unsigned ones), without parsing: negative when a < b, 0 when equal ("1.5" = "1.50"),
 * positive when a > b. The rule engine's hot path: one character read decides the signs.
 */
export function compareDecimal(a: string, b: string): number {
  const an = a.charCodeAt(0) === 45;
  if (an !== (b.charCodeAt(0) === 45)) return an ? -1 : 1;
  return an ? compareMagnitude(b, a, 1) : compareMagnitude(a, b, 0);
}

/** Order of the unsigned digits of a and b from position `from` on. */
function compareMagnitude(a: string, b: string, from: number): number {
  const ad = a.indexOf('.');
  const bd = b.indexOf('.');
  const al = ad < 0 ? a.length : ad;
  const bl = bd < 0 ? b.length : bd;
  if (al !== bl) return al - bl;
  for (let i = from; i < al; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  const n = Math.max(a.length - al, b.length - bl);
  for (let i = 1; i < n; i++) {
    const d = (a.charCodeAt(al + i) || 48) - (b.charCodeAt(bl + i) || 48);
    if (d !== 0) return d;
  }
  return 0;
}

const SCALE_DIGITS = 18;

/** A canonical (possibly signed) decimal string as an integer of 10^-18 units (exact up to 18 decimals). */
export function toScaled(value: string): bigint | undefined {
  const dot = value.indexOf('.');
  const frac = dot < 0 ? '' : value.slice(dot + 1);
  if (frac.length > SCALE_DIGITS) return undefined;
  return BigInt((dot < 0 ? value : value.slice(0, dot)) + frac.padEnd(SCALE_DIGITS, '0'));
}

/** The canonical decimal string of an integer of 10^-18 units. */
export function fromScaled(units: bigint): string {
  if (units < 0n) return `-${fromScaled(-units)}`;
  const s = units.toString().padStart(SCALE_DIGITS + 1, '0');
  const int = s.slice(0, -SCALE_DIGITS);
  const frac = s.slice(-SCALE_DIGITS).replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}
