import { Instrument } from './instrument.js';
import { Tick, TickBatch } from './tick.js';
import { Bar } from './bar.js';

/** The schemas exported as JSON Schema files under schemas/json/ for other languages. */
export const EXPORTED_SCHEMAS = { Instrument, Tick, TickBatch, Bar } as const;

export function jsonSchemaFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, schema] of Object.entries(EXPORTED_SCHEMAS)) {
    const doc = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      ...(JSON.parse(JSON.stringify(schema)) as Record<string, unknown>),
    };
    out[`${name}.schema.json`] = JSON.stringify(doc, null, 2) + '\n';
  }
  return out;
}
