import { Type, type Static } from '@sinclair/typebox';
import { DECIMAL_PATTERN, SIGNED_DECIMAL_PATTERN } from './decimal.js';
import { SYMBOL_PATTERN } from './instrument.js';
import { TIMESTAMP_PATTERN } from './time.js';

export const BarInterval = Type.Union([Type.Literal('1s'), Type.Literal('1m'), Type.Literal('1h')], {
  $id: 'BarInterval',
});
export type BarInterval = Static<typeof BarInterval>;

export const INTERVAL_MICROS: Record<BarInterval, number> = {
  '1s': 1_000_000,
  '1m': 60_000_000,
  '1h': 3_600_000_000,
};

/** OHLCV over [start, start + interval), by event time; a sensor's values may be zero or negative. */
export const Bar = Type.Object(
  {
    symbol: Type.String({ pattern: SYMBOL_PATTERN }),
    interval: BarInterval,
    start: Type.String({ pattern: TIMESTAMP_PATTERN }),
    open: Type.String({ pattern: SIGNED_DECIMAL_PATTERN }),
    high: Type.String({ pattern: SIGNED_DECIMAL_PATTERN }),
    low: Type.String({ pattern: SIGNED_DECIMAL_PATTERN }),
    close: Type.String({ pattern: SIGNED_DECIMAL_PATTERN }),
    volume: Type.String({ pattern: DECIMAL_PATTERN }),
    trades: Type.Integer({ minimum: 1 }),
  },
  { $id: 'Bar', additionalProperties: false },
);
export type Bar = Static<typeof Bar>;
