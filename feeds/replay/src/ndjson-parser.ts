import type { Side } from '@tickdesk/schemas';
import { decimalText, integerText, refuse, sideText, timeText, type LineResult } from './fields.js';

const literalRes = new Map<string, RegExp>();

/**
 * The literal text of a JSON number member of `line`. JSON.parse would turn 9682.19
 * into the nearest double; the line still holds the digits the producer wrote.
 * Undefined unless the key occurs exactly once with a number value.
 */
export function numberLiteral(line: string, key: string): string | undefined {
  let re = literalRes.get(key);
  if (!re) {
    re = new RegExp(`(?<!\\\\)"${key}"\\s*:\\s*(-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)\\s*(?=[,}])`, 'g');
    literalRes.set(key, re);
  }
  const matches = [...line.matchAll(re)];
  return matches.length === 1 ? matches[0]![1] : undefined;
}

type Obj = Record<string, unknown>;

/** A price or size member: a JSON string, or a JSON number read from its literal text. */
function decimalMember(line: string, obj: Obj, key: string): string | undefined {
  const v = obj[key];
  if (typeof v === 'string') return decimalText(v);
  if (typeof v === 'number') {
    const literal = numberLiteral(line, key);
    return literal === undefined ? undefined : decimalText(literal);
  }
  return undefined;
}

function integerMember(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  return typeof v === 'string' ? integerText(v) : undefined;
}

/**
 * One NDJSON trade: symbol, seq (or id), price, size (or amount), side, and time
 * (XEP-0082) or timestamp (µs). Prices and sizes may be JSON strings or numbers.
 */
export function parseNdjsonLine(line: string): LineResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return refuse('bad JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return refuse('not a JSON object');
  const obj = parsed as Obj;
  const symbol = obj.symbol;
  if (typeof symbol !== 'string' || symbol.trim() === '') return refuse('missing symbol');
  const price = decimalMember(line, obj, 'price');
  if (price === undefined) return refuse('non-numeric price');
  const size = decimalMember(line, obj, obj.size !== undefined ? 'size' : 'amount');
  if (size === undefined) return refuse('non-numeric size');
  const rawSeq = obj.seq ?? obj.id;
  const seq = rawSeq === undefined || rawSeq === null ? undefined : integerMember(rawSeq);
  if (rawSeq != null && seq === undefined) return refuse('non-integer id');
  const eventTimeMicros = typeof obj.time === 'string' ? timeText(obj.time) : integerMember(obj.timestamp);
  if (eventTimeMicros === undefined) return refuse('bad timestamp');
  let side: Side | undefined;
  if (obj.side !== undefined && obj.side !== null) {
    const s = typeof obj.side === 'string' ? sideText(obj.side) : null;
    if (s === null) return refuse('bad side');
    side = s;
  }
  return { ok: true, tick: { symbol: symbol.trim(), seq, price, size, side, eventTimeMicros } };
}
