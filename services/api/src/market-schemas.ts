import { Type } from '@sinclair/typebox';
import { SYMBOL_PATTERN, Tick, TIMESTAMP_PATTERN } from '@tickdesk/schemas';

/** Page size when the query gives none. */
export const DEFAULT_LIMIT = 1_000;

const Timestamp = (description: string) => Type.String({ pattern: TIMESTAMP_PATTERN, maxLength: 40, description });

export const SymbolParams = Type.Object(
  { symbol: Type.String({ pattern: SYMBOL_PATTERN, maxLength: 32 }) },
  { additionalProperties: false },
);

// The response bodies the dashboard reads too live in @tickdesk/schemas/rest.
export { CandlePage, InstrumentList, LastPriceList } from '@tickdesk/schemas/rest';

export const TicksQuery = Type.Object(
  {
    from: Timestamp('start of the range, inclusive (event time)'),
    to: Type.Optional(Timestamp('end of the range, exclusive (event time); open-ended when absent')),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_000, default: DEFAULT_LIMIT, description: 'ticks per page' }),
    ),
    cursor: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,16}:[0-9]{1,9}$', description: 'nextCursor of the previous page' }),
    ),
  },
  { additionalProperties: false },
);

export const TickPage = Type.Object(
  {
    symbol: Type.String({ pattern: SYMBOL_PATTERN }),
    ticks: Type.Array(Tick, { description: 'oldest first' }),
    nextCursor: Type.Optional(
      Type.String({
        description: 'pass as `cursor` (with the same from/to) for the next page; absent on the last page',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CandlesQuery = Type.Object(
  {
    interval: Type.Optional(
      Type.Union([Type.Literal('1s'), Type.Literal('1m'), Type.Literal('1h')], { default: '1m' }),
    ),
    from: Timestamp('buckets starting at or after this time'),
    to: Type.Optional(Timestamp('buckets starting before this time; open-ended when absent')),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_000, default: DEFAULT_LIMIT, description: 'candles per page' }),
    ),
    cursor: Type.Optional(Timestamp('nextCursor of the previous page')),
  },
  { additionalProperties: false },
);
