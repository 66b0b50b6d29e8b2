import type { RuleSeries } from '@tickdesk/schemas';

/** A decimal as an integer and a power of ten: value = n × 10^-scale. */
interface Scaled<N = bigint> {
  n: N;
  scale: number;
}

function parse(value: string): Scaled {
  const dot = value.indexOf('.');
  if (dot < 0) return { n: BigInt(value), scale: 0 };
  return { n: BigInt(value.slice(0, dot) + value.slice(dot + 1)), scale: value.length - dot - 1 };
}

const up = (x: Scaled, scale: number): bigint => x.n * 10n ** BigInt(scale - x.scale);

/** The canonical decimal string of n × 10^-scale (no trailing zeros, no "-0"). */
function formatScaled(n: bigint, scale: number): string {
  if (n < 0n) return `-${formatScaled(-n, scale)}`;
  if (scale === 0) return n.toString();
  const s = n.toString().padStart(scale + 1, '0');
  const frac = s.slice(-scale).replace(/0+$/, '');
  return frac ? `${s.slice(0, -scale)}.${frac}` : s.slice(0, -scale);
}

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);
const SAFE = Number.MAX_SAFE_INTEGER;

/** A decimal of at most 15 digits as an exact double integer and its scale; undefined when longer. */
function small(value: string): Scaled<number> | undefined {
  let n = 0;
  let scale = -1;
  let digits = 0;
  const negative = value.charCodeAt(0) === 45;
  for (let i = negative ? 1 : 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 46) scale = 0;
    else {
      n = n * 10 + (c - 48);
      if (scale >= 0) scale++;
      if (++digits > 15) return undefined;
    }
  }
  return { n: negative ? -n : n, scale: scale < 0 ? 0 : scale };
}

/**
 * The spread in doubles when every product and partial sum is an integer below 2^53 at the
 * common scale, so that each operation is exact (prices and coefficients of a few digits,
 * the usual case); undefined otherwise.
 */
function smallSpread(coefficients: readonly string[], prices: readonly string[]): string | undefined {
  const terms: Array<Scaled<number>> = [];
  let scale = 0;
  for (let i = 0; i < coefficients.length; i++) {
    const a = small(coefficients[i]!);
    const b = small(prices[i]!);
    if (a === undefined || b === undefined || Math.abs(a.n) * Math.abs(b.n) > SAFE) return undefined;
    const t = { n: a.n * b.n, scale: a.scale + b.scale };
    if (t.scale > 15) return undefined;
    if (t.scale > scale) scale = t.scale;
    terms.push(t);
  }
  let sum = 0;
  for (const t of terms) {
    const up = t.n * POW10[scale - t.scale]!;
    if (Math.abs(up) > SAFE || Math.abs(t.n) * POW10[scale - t.scale]! > SAFE) return undefined;
    sum += up;
    if (Math.abs(sum) > SAFE) return undefined;
  }
  return formatScaled(BigInt(sum), scale);
}

/** Σ coefficient × price, exactly: products of decimals are decimals. */
export function spreadValue(coefficients: readonly string[], prices: readonly string[]): string {
  const fast = smallSpread(coefficients, prices);
  if (fast !== undefined) return fast;
  const terms = coefficients.map((c, i) => {
    const a = parse(c);
    const b = parse(prices[i]!);
    return { n: a.n * b.n, scale: a.scale + b.scale };
  });
  const scale = Math.max(...terms.map((t) => t.scale));
  return formatScaled(
    terms.reduce((sum, t) => sum + up(t, scale), 0n),
    scale,
  );
}

/**
 * Digits kept after the point of a ratio's key. Thresholds have at most 40 characters, so
 * fewer than RATIO_DIGITS fractional digits: see ratioKey.
 */
const RATIO_DIGITS = 41;

/**
 * A decimal string that orders against every decimal with fewer than RATIO_DIGITS
 * fractional digits exactly as numerator ÷ denominator does (denominator > 0), without a
 * division in floating point. With q = ⌊r × 10^D⌋ × 10^-D: r exact at D digits gives r
 * itself; otherwise q < r < q + 10^-D, and the key is q + 10^-(D+1), strictly between
 * them, so no threshold T (a multiple of 10^-D) lies between the key and r: sign(key − T)
 * = sign(r − T) = sign(numerator − T × denominator). Undefined when the denominator ≤ 0.
 */
export function ratioKey(numerator: string, denominator: string): string | undefined {
  const a = parse(numerator);
  const b = parse(denominator);
  if (b.n <= 0n) return undefined;
  const scale = Math.max(a.scale, b.scale);
  const num = up(a, scale) * 10n ** BigInt(RATIO_DIGITS);
  const den = up(b, scale);
  // Floor towards −∞ for a negative numerator (a sensor's value never gets here; kept exact anyway).
  let q = num / den;
  const rem = num - q * den;
  if (rem !== 0n && rem < 0n) q -= 1n;
  if (rem === 0n) return formatScaled(q, RATIO_DIGITS);
  return formatScaled(q * 10n + 1n, RATIO_DIGITS + 1);
}

/** The instruments of a series, the rule's symbol first. */
export function seriesSymbols(series: RuleSeries): string[] {
  return series.kind === 'spread' ? series.legs.map((l) => l.symbol) : [series.numerator, series.denominator];
}

/** One name per distinct series: rules on the same series share its book in the rule index. */
export function seriesKey(series: RuleSeries): string {
  return series.kind === 'spread'
    ? `~spread:${series.legs.map((l) => `${l.coefficient}*${l.symbol}`).join('+')}`
    : `~ratio:${series.numerator}/${series.denominator}`;
}

/** The series' value from its legs' last prices, in leg order; undefined while one is unknown (or a ratio's denominator ≤ 0). */
export function seriesValue(series: RuleSeries, prices: readonly (string | undefined)[]): string | undefined {
  if (prices.some((p) => p === undefined)) return undefined;
  const known = prices as readonly string[];
  return series.kind === 'spread'
    ? spreadValue(
        series.legs.map((l) => l.coefficient),
        known,
      )
    : ratioKey(known[0]!, known[1]!);
}

/** How a series reads in an alert: "BTCUSDT − 15 × ETHUSDT", "BTCUSDT / ETHUSDT". */
export function describeSeries(series: RuleSeries): string {
  if (series.kind === 'ratio') return `${series.numerator} / ${series.denominator}`;
  return series.legs
    .map((l, i) => {
      const negative = l.coefficient.startsWith('-');
      const c = negative ? l.coefficient.slice(1) : l.coefficient;
      const term = c === '1' ? l.symbol : `${c} × ${l.symbol}`;
      return i === 0 ? `${negative ? '−' : ''}${term}` : `${negative ? '−' : '+'} ${term}`;
    })
    .join(' ');
}
