import { Decimal, canonicalDecimal } from '@tickdesk/schemas';

/** A decimal string as an integer count of 10^-scale units ("0.25" → { units: 25, scale: 2 }). */
export interface Scaled {
  units: number;
  scale: number;
}

export function toScaled(text: string, scale?: number): Scaled {
  const canonical = canonicalDecimal(text);
  if (canonical === undefined) throw new TypeError(`not a decimal string: ${JSON.stringify(text)}`);
  const s = scale ?? canonical.split('.')[1]?.length ?? 0;
  const units = new Decimal(canonical).mul(new Decimal(10).pow(s));
  if (!units.isInteger()) throw new RangeError(`${canonical} has more than ${s} decimal places`);
  const n = units.toNumber();
  if (!Number.isSafeInteger(n)) throw new RangeError(`${canonical} is too large to scale`);
  return { units: n, scale: s };
}

/** Exact canonical decimal text of units × 10^-scale, for a non-negative safe integer. */
export function formatScaled(units: number, scale: number): string {
  const digits = String(units);
  if (scale === 0) return digits;
  const padded = digits.padStart(scale + 1, '0');
  const int = padded.slice(0, -scale);
  const frac = padded.slice(-scale).replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}
