/** `value` × 10^scale as an integer (value has at most `scale` fractional digits). */
function scaled(value: string, scale: number): bigint {
  const dot = value.indexOf('.');
  const int = dot < 0 ? value : value.slice(0, dot);
  const frac = dot < 0 ? '' : value.slice(dot + 1);
  return BigInt(int + frac.padEnd(scale, '0'));
}

const fractionDigits = (value: string): number => {
  const dot = value.indexOf('.');
  return dot < 0 ? 0 : value.length - dot - 1;
};

/**
 * Exactly whether a move from the window's reference (low going up, high going down)
 * to `price` reaches `amount`: d ≥ amount, or d·100 ≥ amount·reference for percentages,
 * where d = price − low or high − price. The slow path behind the double estimates.
 */
export function moveReaches(price: string, reference: string, amount: string, up: boolean, percent: boolean): boolean {
  const scale = Math.max(fractionDigits(price), fractionDigits(reference), fractionDigits(amount));
  const p = scaled(price, scale);
  const ref = scaled(reference, scale);
  const a = scaled(amount, scale);
  const d = up ? p - ref : ref - p;
  return percent ? d * 100n * 10n ** BigInt(scale) >= a * ref : d >= a;
}
