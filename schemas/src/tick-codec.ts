import xml, { type Element } from '@xmpp/xml';
import { isDecimalString, isPositiveDecimal, isSignedDecimalString } from './decimal.js';
import { SYMBOL_PATTERN } from './instrument.js';
import { formatMicros, parseTimestamp } from './time.js';
import type { Side, Tick, TickBatch } from './tick.js';

/** Namespace of the tick batch payload (docs/protocol.md, "Tick batches"). */
export const NS_TICKS = 'urn:tickdesk:ticks:1';

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const SIDE_CODE: Record<Side, string> = { buy: 'b', sell: 's', unknown: 'u' };
const CODE_SIDE = new Map<string, Side>([
  ['b', 'buy'],
  ['s', 'sell'],
  ['u', 'unknown'],
]);
const symbolRe = new RegExp(SYMBOL_PATTERN);
const uintRe = /^(0|[1-9][0-9]{0,15})$/;
const intRe = /^-?(0|[1-9][0-9]{0,15})$/;
const MAX_TICKS = 100_000;
/** Times are exact integers of microseconds up to 2^53-1 µs (2255-06-05T23:47:34.740991Z). */
const MAX_MICROS = Number.MAX_SAFE_INTEGER;
/** XML white space around a tick; `trim()` would also take other Unicode spaces. */
const xmlSpace = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/**
 * Ticks separated by `;`, fields by one space:
 * `seq-offset price size side event-offset ingest-offset`. The item carries the first
 * tick's `seq` and event `time`; each tick's seq and times are offsets from them
 * (times in microseconds). The payload stays a third of the size of full timestamps
 * per tick, and has no line breaks, which the XMPP server's parser reports one by one:
 * both cost the server per byte and per text chunk (docs/benchmarks.md).
 */
export function encodeTickBatch(batch: TickBatch): Element {
  const rows = batch.ticks.map((t): TickRow => ({
    seq: t.seq,
    price: t.price,
    size: t.size,
    side: t.side,
    eventMicros: parseTimestamp(t.eventTime)!,
    ingestMicros: parseTimestamp(t.ingestTime)!,
  }));
  return encodeTickRows(batch.symbol, rows, batch.conflated, undefined, batch.kind);
}

/** A tick inside a publisher, its times as microseconds since the epoch. */
export interface TickRow {
  seq: number;
  price: string;
  size: string;
  side: Side;
  eventMicros: number;
  ingestMicros: number;
}

/**
 * `encodeTickBatch` for ticks whose times are already numbers: the feed's hot path.
 * `lease` is the publisher's fencing token (docs/protocol.md, §6.1.1 `lease`), when it holds one;
 * `kind` is 'sensor' for a sensor instrument, whose values may be zero or negative.
 */
export function encodeTickRows(
  symbol: string,
  rows: readonly TickRow[],
  conflated: number,
  lease?: number,
  kind?: 'sensor',
): Element {
  const first = rows[0]!;
  const baseSeq = first.seq;
  const baseTime = first.eventMicros;
  let body = '';
  for (const t of rows) {
    if (body !== '') body += ';';
    body += `${t.seq - baseSeq} ${t.price} ${t.size} ${SIDE_CODE[t.side]} ${t.eventMicros - baseTime} ${t.ingestMicros - baseTime}`;
  }
  const attrs: Record<string, string> = {
    xmlns: NS_TICKS,
    symbol,
    count: String(rows.length),
    seq: String(baseSeq),
    time: formatMicros(baseTime),
  };
  if (conflated > 0) attrs.conflated = String(conflated);
  if (lease !== undefined) attrs.lease = String(lease);
  if (kind !== undefined) attrs.kind = kind;
  return xml('ticks', attrs, body);
}

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/** Strict decode: any malformed part rejects the whole batch with a reason; nothing is half-read. */
export function decodeTickBatch(el: Element): DecodeResult<TickBatch> {
  const res = decodeTickRows(el);
  if (!res.ok) return res;
  const { symbol, rows, conflated, lease, kind } = res.value;
  const ticks = rows.map((r): Tick => ({
    symbol,
    seq: r.seq,
    price: r.price,
    size: r.size,
    side: r.side,
    eventTime: formatMicros(r.eventMicros),
    ingestTime: formatMicros(r.ingestMicros),
  }));
  const value: TickBatch = { symbol, ticks, conflated };
  if (lease !== undefined) value.lease = lease;
  if (kind !== undefined) value.kind = kind;
  return { ok: true, value };
}

/** What decodeTickRows gives: the rows and the item's attributes. */
export interface TickRows {
  symbol: string;
  rows: TickRow[];
  conflated: number;
  lease?: number;
  kind?: 'sensor';
}

/** The same strict decode, times left as microseconds: for consumers that compute with them (the alert engine). */
export function decodeTickRows(el: Element): DecodeResult<TickRows> {
  if (el.name !== 'ticks' || el.attrs.xmlns !== NS_TICKS) return fail(`not a {${NS_TICKS}}ticks element`);
  const {
    symbol,
    count: countText,
    seq: seqText,
    time: timeText,
    conflated: conflatedText,
    lease: leaseText,
    kind,
  } = el.attrs as Record<string, unknown>;
  if (typeof symbol !== 'string' || !symbolRe.test(symbol)) return fail('missing or invalid symbol attribute');
  if (typeof countText !== 'string' || !uintRe.test(countText)) return fail('missing or invalid count attribute');
  const count = Number(countText);
  if (count < 1 || count > MAX_TICKS) return fail(`count ${count} out of range 1..${MAX_TICKS}`);
  if (typeof seqText !== 'string' || !uintRe.test(seqText)) return fail('missing or invalid seq attribute');
  const baseSeq = Number(seqText);
  if (!Number.isSafeInteger(baseSeq)) return fail(`seq ${seqText} above 2^53-1`);
  const baseTime = typeof timeText === 'string' ? parseTimestamp(timeText) : undefined;
  if (baseTime === undefined) return fail('missing or invalid time attribute');
  let conflated = 0;
  if (conflatedText !== undefined) {
    if (typeof conflatedText !== 'string' || !uintRe.test(conflatedText)) return fail('invalid conflated attribute');
    conflated = Number(conflatedText);
  }
  let lease: number | undefined;
  if (leaseText !== undefined) {
    if (typeof leaseText !== 'string' || !uintRe.test(leaseText) || !Number.isSafeInteger(Number(leaseText)))
      return fail('invalid lease attribute');
    lease = Number(leaseText);
  }
  // A sensor's value may be zero or negative (a freezer at -18.5 °C); a market price never is.
  if (kind !== undefined && kind !== 'sensor') return fail('invalid kind attribute');
  const sensor = kind === 'sensor';
  if (el.children.some((c: unknown) => typeof c !== 'string')) return fail('unexpected child element');
  const parts = el.children.join('').split(';');
  if (parts.length !== count) return fail(`count says ${count} ticks, payload has ${parts.length}`);

  const rows = new Array<TickRow>(count);
  let prevSeq = -1;
  for (let i = 0; i < count; i++) {
    const fields = parts[i]!.replace(xmlSpace, '').split(' ');
    if (fields.length !== 6) return fail(`tick ${i + 1}: expected 6 fields, got ${fields.length}`);
    const [seqOffset, price, size, sideCode, eventOffset, ingestOffset] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!uintRe.test(seqOffset)) return fail(`tick ${i + 1}: invalid seq offset ${JSON.stringify(seqOffset)}`);
    const seq = baseSeq + Number(seqOffset);
    if (!Number.isSafeInteger(seq)) return fail(`tick ${i + 1}: seq ${baseSeq} + ${seqOffset} above 2^53-1`);
    if (seq <= prevSeq) return fail(`tick ${i + 1}: seq ${seq} not above ${prevSeq}`);
    prevSeq = seq;
    if (sensor ? !isSignedDecimalString(price) : !isPositiveDecimal(price))
      return fail(`tick ${i + 1}: price ${JSON.stringify(price)} is not a ${sensor ? 'signed' : 'positive'} decimal`);
    if (!isDecimalString(size)) return fail(`tick ${i + 1}: size ${JSON.stringify(size)} is not a decimal`);
    const side = CODE_SIDE.get(sideCode);
    if (!side) return fail(`tick ${i + 1}: invalid side ${JSON.stringify(sideCode)}`);
    const eventMicros = offsetTime(baseTime, eventOffset);
    if (eventMicros === undefined)
      return fail(`tick ${i + 1}: invalid event time offset ${JSON.stringify(eventOffset)}`);
    const ingestMicros = offsetTime(baseTime, ingestOffset);
    if (ingestMicros === undefined)
      return fail(`tick ${i + 1}: invalid ingest time offset ${JSON.stringify(ingestOffset)}`);
    rows[i] = { seq, price, size, side, eventMicros, ingestMicros };
  }
  const value: TickRows = { symbol, rows, conflated };
  if (lease !== undefined) value.lease = lease;
  if (sensor) value.kind = 'sensor';
  return { ok: true, value };
}

function offsetTime(base: number, offset: string): number | undefined {
  if (!intRe.test(offset)) return undefined;
  const micros = base + Number(offset);
  return micros >= 0 && micros <= MAX_MICROS ? micros : undefined;
}
