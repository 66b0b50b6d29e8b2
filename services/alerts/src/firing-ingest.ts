import type { TickRow } from '@tickdesk/schemas';
import type { Firing } from './rules/index.js';

/** A firing with its tick's ingest stamp (µs), for the alert's ingest → fired hop. */
export type StampedFiring = Firing & { ingestMicros?: number };

/**
 * Each firing with the ingest stamp of the tick it fired on, found by seq among the batch's
 * rows. The evaluators see event times only; firings come in tick order, so one walk of the
 * rows serves them all.
 */
export function withIngest(fired: Firing[], rows: readonly TickRow[]): StampedFiring[] {
  if (fired.length === 0) return fired;
  let i = 0;
  return fired.map((f) => {
    if (i >= rows.length || rows[i]!.seq > f.seq) i = 0;
    while (i < rows.length && rows[i]!.seq < f.seq) i += 1;
    const row = rows[i];
    return row?.seq === f.seq ? { ...f, ingestMicros: row.ingestMicros } : f;
  });
}
