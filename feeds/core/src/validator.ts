import { canonicalDecimal, canonicalSignedDecimal, type Instrument, type TickRow } from '@tickdesk/schemas';
import type { RawTick } from './source.js';

/** Why a tick was refused at the feed; each is counted and logged. */
export type RejectReason =
  | 'unknown-symbol'
  | 'price-not-decimal'
  | 'price-not-positive'
  | 'size-not-decimal'
  | 'timestamp-invalid'
  | 'timestamp-out-of-range'
  | 'seq-invalid'
  | 'duplicate';

/** A validated tick inside the feed; its times stay numbers until encoded. */
export interface AcceptedTick extends TickRow {
  symbol: string;
}

export type Validation =
  { ok: true; tick: AcceptedTick; gap: number } | { ok: false; reason: RejectReason; detail: string };

export interface ValidatorOptions {
  instruments: readonly Instrument[];
  /** Event times further ahead of our clock than this are absurd. */
  maxFutureMicros?: number;
  /** Event times before this instant are absurd. */
  minEventMicros?: number;
  now: () => number;
}

const EARLIEST = Date.UTC(2000, 0, 1) * 1000;

/**
 * Validate and normalise a venue tick: positive finite decimal price (a sensor's value
 * may also be zero or negative: a freezer at -18.5 °C), size ≥ 0, known
 * symbol, sane event time, strictly increasing seq per symbol ("corrupt data is worse
 * than no data"). Gaps are accepted and reported; duplicates are refused.
 */
export function createValidator({
  instruments,
  maxFutureMicros = 5_000_000,
  minEventMicros = EARLIEST,
  now,
}: ValidatorOptions) {
  const known = new Set(instruments.map((i) => i.symbol));
  const sensors = new Set(instruments.filter((i) => i.kind === 'sensor').map((i) => i.symbol));
  const lastSeq = new Map<string, number>();

  return function validate(raw: RawTick): Validation {
    if (!known.has(raw.symbol)) return { ok: false, reason: 'unknown-symbol', detail: String(raw.symbol) };
    const text = typeof raw.price === 'string' ? raw.price : String(raw.price);
    if (sensors.has(raw.symbol)) {
      const value = canonicalSignedDecimal(text);
      if (value === undefined) return { ok: false, reason: 'price-not-decimal', detail: text };
      return accept(raw, value);
    }
    const price = canonicalDecimal(text);
    if (price === undefined) {
      return { ok: false, reason: /^\s*-/.test(text) ? 'price-not-positive' : 'price-not-decimal', detail: text };
    }
    if (!/[1-9]/.test(price)) return { ok: false, reason: 'price-not-positive', detail: text };
    return accept(raw, price);
  };

  function accept(raw: RawTick, price: string): Validation {
    const size = canonicalDecimal(typeof raw.size === 'string' ? raw.size : String(raw.size));
    if (size === undefined) return { ok: false, reason: 'size-not-decimal', detail: String(raw.size) };
    const t = raw.eventTimeMicros;
    if (!Number.isSafeInteger(t)) return { ok: false, reason: 'timestamp-invalid', detail: String(t) };
    const ingest = now();
    if (t < minEventMicros || t > ingest + maxFutureMicros) {
      return { ok: false, reason: 'timestamp-out-of-range', detail: String(t) };
    }
    const prev = lastSeq.get(raw.symbol) ?? 0;
    const seq = raw.seq ?? prev + 1;
    if (!Number.isSafeInteger(seq) || seq < 0) return { ok: false, reason: 'seq-invalid', detail: String(raw.seq) };
    if (lastSeq.has(raw.symbol) && seq <= prev)
      return { ok: false, reason: 'duplicate', detail: `${raw.symbol} seq ${seq} ≤ ${prev}` };
    const gap = lastSeq.has(raw.symbol) ? seq - prev - 1 : 0;
    lastSeq.set(raw.symbol, seq);
    return {
      ok: true,
      gap,
      tick: {
        symbol: raw.symbol,
        seq,
        price,
        size,
        side: raw.side ?? 'unknown',
        eventMicros: t,
        ingestMicros: ingest,
      },
    };
  }
}
