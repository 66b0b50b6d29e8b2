import { Decimal } from 'decimal.js';

/** A non-negative decimal string: no sign, no exponent, no leading zeros, no trailing dot. */
export const DECIMAL_PATTERN = '^(0|[1-9][0-9]*)(\\.[0-9]+)?$';
const decimalRe = new RegExp(DECIMAL_PATTERN);
const canonicalRe = /^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$/;

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
  if (text.length <= 40 && canonicalRe.test(text)) return text;
  const t = text.trim();
  if (!/^[0-9]+(\.[0-9]+)?$/.test(t) || t.length > 40) return undefined;
  let [int = '0', frac = ''] = t.split('.');
  int = int.replace(/^0+(?=[0-9])/, '');
  frac = frac.replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}

/**
 * Exact order of two canonical non-negative decimal strings, without parsing:
 * negative when a < b, 0 when equal ("1.5" = "1.50"), positive when a > b.
 */
export function compareDecimal(a: string, b: string): number {
  const ad = a.indexOf('.');
  const bd = b.indexOf('.');
  const al = ad < 0 ? a.length : ad;
  const bl = bd < 0 ? b.length : bd;
  if (al !== bl) return al - bl;
  for (let i = 0; i < al; i++) {
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

/** A canonical decimal string as an integer of 10^-18 units (exact up to 18 decimals). */
export function toScaled(value: string): bigint | undefined {
  const dot = value.indexOf('.');
  const frac = dot < 0 ? '' : value.slice(dot + 1);
  if (frac.length > SCALE_DIGITS) return undefined;
  return BigInt((dot < 0 ? value : value.slice(0, dot)) + frac.padEnd(SCALE_DIGITS, '0'));
}

/** The canonical decimal string of an integer of 10^-18 units. */
export function fromScaled(units: bigint): string {
  const s = units.toString().padStart(SCALE_DIGITS + 1, '0');
  const int = s.slice(0, -SCALE_DIGITS);
  const frac = s.slice(-SCALE_DIGITS).replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}
