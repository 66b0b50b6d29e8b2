import { Decimal } from '@tickdesk/schemas';

/**
 * decimal.js rounds to 20 significant digits by default; sums of sizes with many
 * decimals need more, so the recorder computes with its own high-precision class.
 */
export const Exact = Decimal.clone({ precision: 1_000, rounding: Decimal.ROUND_DOWN });
export type Exact = Decimal;
