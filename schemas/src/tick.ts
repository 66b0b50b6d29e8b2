import { Type, type Static } from '@sinclair/typebox';
import { DECIMAL_PATTERN, SIGNED_DECIMAL_PATTERN } from './decimal.js';
import { SYMBOL_PATTERN } from './instrument.js';
import { TIMESTAMP_PATTERN } from './time.js';

export const Side = Type.Union([Type.Literal('buy'), Type.Literal('sell'), Type.Literal('unknown')], { $id: 'Side' });
export type Side = Static<typeof Side>;

/**
 * One trade, or one reading of a sensor (its price the value, which may be zero or
 * negative; its size 0). `seq` is the venue's trade id (or the feed's own counter), strictly
 * increasing per instrument; `eventTime` is the venue's time, `ingestTime` ours.
 */
export const Tick = Type.Object(
  {
    symbol: Type.String({ pattern: SYMBOL_PATTERN }),
    seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    price: Type.String({ pattern: SIGNED_DECIMAL_PATTERN }),
    size: Type.String({ pattern: DECIMAL_PATTERN }),
    side: Side,
    eventTime: Type.String({ pattern: TIMESTAMP_PATTERN }),
    ingestTime: Type.String({ pattern: TIMESTAMP_PATTERN }),
  },
  { $id: 'Tick', additionalProperties: false },
);
export type Tick = Static<typeof Tick>;

/** The ticks of one instrument carried by one pubsub item, oldest first. */
export const TickBatch = Type.Object(
  {
    symbol: Type.String({ pattern: SYMBOL_PATTERN }),
    ticks: Type.Array(Tick, { minItems: 1 }),
    /** Ticks dropped by the publisher under backpressure just before this batch. */
    conflated: Type.Integer({ minimum: 0 }),
    /** The publisher's fencing token (docs/protocol.md §6.1, `lease`): a smaller one than already seen is a stale publisher's. */
    lease: Type.Optional(Type.Integer({ minimum: 0 })),
    /** A sensor instrument's readings (docs/protocol.md, `kind`): only these may be zero or negative. */
    kind: Type.Optional(Type.Literal('sensor')),
  },
  { $id: 'TickBatch', additionalProperties: false },
);
export type TickBatch = Static<typeof TickBatch>;
