/**
 * Exact order of two non-negative decimal strings in our canonical form
 * (DECIMAL_PATTERN: no sign, no exponent, no leading zeros), without parsing:
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
