import type { PriceFormat } from 'lightweight-charts';
import { chartPriceFormat } from './chart-numbers.js';

/** How an instrument's values read: what they are counted in and with how many decimals. */
export interface ValueStyle {
  kind: 'market' | 'sensor';
  /** Quote currency of a market, physical unit of a sensor ("°C"); may be empty. */
  unit: string;
  decimals: number;
  /** The smallest move: tickSize, or 10^-decimals of a sensor. */
  step: string;
}

/**
 * A decimal string shown with the instrument's decimals: zeros appended to a shorter one
 * ("8" → "8.0", "-18" → "-18.0"), by text, so the digits stay exactly those received; a
 * longer one is shown as it is rather than rounded.
 */
export function formatValue(value: string, decimals: number): string {
  const dot = value.indexOf('.');
  const have = dot < 0 ? 0 : value.length - dot - 1;
  if (have >= decimals) return value;
  return `${value}${dot < 0 ? '.' : ''}${'0'.repeat(decimals - have)}`;
}

/** A sensor's unit after its value ("8.4 °C"); a market price stays bare, as traders read it. */
export const withUnit = (text: string, style: Pick<ValueStyle, 'kind' | 'unit'>): string =>
  style.kind === 'sensor' && style.unit ? `${text} ${style.unit}` : text;

/** The chart's value axis: a market's tick size; a sensor's decimals and unit on every label. */
export function valueAxisFormat(style: ValueStyle): PriceFormat {
  if (style.kind === 'market') return chartPriceFormat(style.step);
  const { minMove } = chartPriceFormat(style.step) as { minMove: number };
  // The axis works in doubles (chart-numbers.ts); toFixed here only prints a label.
  return { type: 'custom', minMove, formatter: (v: number) => withUnit(v.toFixed(style.decimals), style) };
}
