import { Type, type Static } from '@sinclair/typebox';
import { DECIMAL_PATTERN, SIGNED_DECIMAL_PATTERN } from './decimal.js';

export const SYMBOL_PATTERN = '^[A-Z0-9][A-Z0-9._-]{0,31}$';

/** A symbol: upper-case letters, digits, dot, dash or underscore; it names the nodes ticks/<SYMBOL> and bars/<SYMBOL>. */
export const Symbol = Type.String({ pattern: SYMBOL_PATTERN, $id: 'Symbol' });
export type Symbol = Static<typeof Symbol>;

/** A sensor's value or bound: a decimal string that may be negative (a freezer at -18.5 °C); no "-0". */
export const SENSOR_VALUE_PATTERN = SIGNED_DECIMAL_PATTERN;

/** Fraction digits a sensor's values may carry. */
export const SENSOR_DECIMALS_MAX = 8;

const common = {
  symbol: Symbol,
  name: Type.String({ minLength: 1, maxLength: 120 }),
  /** What a value is counted in: the quote currency of a market, a physical unit of a sensor ("°C"); may be empty. */
  unit: Type.String({ maxLength: 16 }),
};

/** A tradable instrument. Prices are multiples of tickSize and sizes of lotSize. */
export const MarketInstrument = Type.Object(
  {
    kind: Type.Literal('market'),
    ...common,
    /** Fraction digits of tickSize: how many a price shows. */
    decimals: Type.Integer({ minimum: 0, maximum: 18 }),
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
  { additionalProperties: false },
);
export type MarketInstrument = Static<typeof MarketInstrument>;

/**
 * A sensor reported over MQTT (feeds/mqtt): its values are readings with at most
 * `decimals` fraction digits inside [min, max], possibly negative; no size, no lot.
 */
export const SensorInstrument = Type.Object(
  {
    kind: Type.Literal('sensor'),
    ...common,
    decimals: Type.Integer({ minimum: 0, maximum: SENSOR_DECIMALS_MAX }),
    min: Type.String({ pattern: SENSOR_VALUE_PATTERN, maxLength: 40 }),
    max: Type.String({ pattern: SENSOR_VALUE_PATTERN, maxLength: 40 }),
  },
  { additionalProperties: false },
);
export type SensorInstrument = Static<typeof SensorInstrument>;

/** An instrument of the desk: its ticks go to ticks/<SYMBOL>, whatever its kind. */
export const Instrument = Type.Union([MarketInstrument, SensorInstrument], { $id: 'Instrument' });
export type Instrument = Static<typeof Instrument>;

/** A market instrument from its venue fields: unit is the quote currency, decimals those of tickSize. */
export function marketInstrument(fields: Omit<MarketInstrument, 'kind' | 'unit' | 'decimals'>): MarketInstrument {
  const dot = fields.tickSize.indexOf('.');
  return {
    kind: 'market',
    ...fields,
    unit: fields.quote,
    decimals: dot < 0 ? 0 : fields.tickSize.length - dot - 1,
  };
}

/** The smallest step between two values of the instrument: tickSize, or 10^-decimals for a sensor. */
export function valueStep(i: Instrument): string {
  if (i.kind === 'market') return i.tickSize;
  return i.decimals === 0 ? '1' : `0.${'0'.repeat(i.decimals - 1)}1`;
}

export const ticksNode = (symbol: string): string => `ticks/${symbol}`;
export const barsNode = (symbol: string): string => `bars/${symbol}`;
