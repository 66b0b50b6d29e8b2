import { Type, type Static } from '@sinclair/typebox';
import { DECIMAL_PATTERN } from './decimal.js';

export const SYMBOL_PATTERN = '^[A-Z0-9][A-Z0-9._-]{0,31}$';

/** A symbol: upper-case letters, digits, dot, dash or underscore; it names the nodes ticks/<SYMBOL> and bars/<SYMBOL>. */
export const Symbol = Type.String({ pattern: SYMBOL_PATTERN, $id: 'Symbol' });
export type Symbol = Static<typeof Symbol>;

/** A tradable instrument. Prices are multiples of tickSize and sizes of lotSize. */
export const Instrument = Type.Object(
  {
    symbol: Symbol,
    name: Type.String({ minLength: 1, maxLength: 120 }),
    assetClass: Type.Union([
      Type.Literal('crypto'),
      Type.Literal('fx'),
      Type.Literal('equity'),
      Type.Literal('future'),
    ]),
    base: Type.String({ minLength: 1, maxLength: 16 }),
    quote: Type.String({ minLength: 1, maxLength: 16 }),
    tickSize: Type.String({ pattern: DECIMAL_PATTERN }),
    lotSize: Type.String({ pattern: DECIMAL_PATTERN }),
    /** Reference price the synthetic feed starts from. */
    referencePrice: Type.String({ pattern: DECIMAL_PATTERN }),
  },
  { $id: 'Instrument', additionalProperties: false },
);
export type Instrument = Static<typeof Instrument>;

export const ticksNode = (symbol: string): string => `ticks/${symbol}`;
export const barsNode = (symbol: string): string => `bars/${symbol}`;
