import xml, { type Element } from '@xmpp/xml';
import { isDecimalString, isPositiveDecimal } from './decimal.js';
import { SYMBOL_PATTERN } from './instrument.js';
import { parseTimestamp } from './time.js';
import type { Side, Tick, TickBatch } from './tick.js';

/** Namespace of the tick batch payload (docs/protocol.md, "Tick batches"). */
export const NS_TICKS = 'urn:tickdesk:ticks:0';

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const SIDE_CODE: Record<Side, string> = { buy: 'b', sell: 's', unknown: 'u' };
const CODE_SIDE: Record<string, Side> = { b: 'buy', s: 'sell', u: 'unknown' };
const symbolRe = new RegExp(SYMBOL_PATTERN);
const seqRe = /^(0|[1-9][0-9]{0,15})$/;
const MAX_TICKS = 100_000;

/**
 * One line per tick, fields separated by one space:
 * `seq price size side event-time ingest-time`. Compact text keeps the XMPP server's
 * parser cost per tick low; the element and its attributes stay plain XML.
 */
export function encodeTickBatch(batch: TickBatch): Element {
  let body = '';
  for (const t of batch.ticks) {
    body += `${t.seq} ${t.price} ${t.size} ${SIDE_CODE[t.side]} ${t.eventTime} ${t.ingestTime}\n`;
  }
  const attrs: Record<string, string> = { xmlns: NS_TICKS, symbol: batch.symbol, count: String(batch.ticks.length) };
  if (batch.conflated > 0) attrs.conflated = String(batch.conflated);
  return xml('ticks', attrs, body);
}

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/** Strict decode: any malformed part rejects the whole batch with a reason; nothing is half-read. */
export function decodeTickBatch(el: Element): DecodeResult<TickBatch> {
  if (el.name !== 'ticks' || el.attrs.xmlns !== NS_TICKS) return fail(`not a {${NS_TICKS}}ticks element`);
  const symbol = el.attrs.symbol;
  if (typeof symbol !== 'string' || !symbolRe.test(symbol)) return fail('missing or invalid symbol attribute');
  const countText = el.attrs.count;
  if (typeof countText !== 'string' || !seqRe.test(countText)) return fail('missing or invalid count attribute');
  const count = Number(countText);
  if (count < 1 || count > MAX_TICKS) return fail(`count ${count} out of range 1..${MAX_TICKS}`);
  let conflated = 0;
  if (el.attrs.conflated !== undefined) {
    if (!seqRe.test(String(el.attrs.conflated))) return fail('invalid conflated attribute');
    conflated = Number(el.attrs.conflated);
  }
  if (el.children.some((c: unknown) => typeof c !== 'string')) return fail('unexpected child element');
  const text = el.children.join('');
  const lines = text.split('\n');
  if (lines[lines.length - 1]?.trim() === '') lines.pop();
  if (lines.length !== count) return fail(`count says ${count} ticks, payload has ${lines.length}`);

  const ticks: Tick[] = new Array(count);
  let prevSeq = -1;
  for (let i = 0; i < count; i++) {
    const fields = lines[i]!.trim().split(' ');
    if (fields.length !== 6) return fail(`tick ${i + 1}: expected 6 fields, got ${fields.length}`);
    const [seqText, price, size, sideCode, eventTime, ingestTime] = fields as [string, string, string, string, string, string];
    if (!seqRe.test(seqText)) return fail(`tick ${i + 1}: invalid seq ${JSON.stringify(seqText)}`);
    const seq = Number(seqText);
    if (!Number.isSafeInteger(seq)) return fail(`tick ${i + 1}: seq ${seqText} above 2^53-1`);
    if (seq <= prevSeq) return fail(`tick ${i + 1}: seq ${seq} not above ${prevSeq}`);
    prevSeq = seq;
    if (!isPositiveDecimal(price)) return fail(`tick ${i + 1}: price ${JSON.stringify(price)} is not a positive decimal`);
    if (!isDecimalString(size)) return fail(`tick ${i + 1}: size ${JSON.stringify(size)} is not a decimal`);
    const side = CODE_SIDE[sideCode];
    if (!side) return fail(`tick ${i + 1}: invalid side ${JSON.stringify(sideCode)}`);
    if (parseTimestamp(eventTime) === undefined) return fail(`tick ${i + 1}: invalid event time`);
    if (parseTimestamp(ingestTime) === undefined) return fail(`tick ${i + 1}: invalid ingest time`);
    ticks[i] = { symbol, seq, price, size, side, eventTime, ingestTime };
  }
  return { ok: true, value: { symbol, ticks, conflated } };
}
