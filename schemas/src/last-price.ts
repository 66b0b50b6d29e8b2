import { Type, type Static } from '@sinclair/typebox';
import { DECIMAL_PATTERN, SIGNED_DECIMAL_PATTERN } from './decimal.js';
import { SYMBOL_PATTERN } from './instrument.js';
import { TIMESTAMP_PATTERN } from './time.js';

const Timestamp = (description: string) => Type.String({ pattern: TIMESTAMP_PATTERN, maxLength: 40, description });

/** The last trade of an instrument (a sensor's last value, possibly negative), by arrival (seq) order, as the recorder keeps it. */
export const LastPrice = Type.Object(
  {
    symbol: Type.String({ pattern: SYMBOL_PATTERN }),
    price: Type.String({ pattern: SIGNED_DECIMAL_PATTERN }),
    size: Type.String({ pattern: DECIMAL_PATTERN }),
    seq: Type.Integer({ minimum: 0 }),
    eventTime: Timestamp("the venue's time of the trade"),
    ingestTime: Timestamp('when the desk received it'),
  },
  { $id: 'LastPrice', additionalProperties: false },
);
export type LastPrice = Static<typeof LastPrice>;
