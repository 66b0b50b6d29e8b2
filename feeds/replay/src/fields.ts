import type { RawTick } from '@tickdesk/feed-core';
import { canonicalDecimal, parseTimestamp, type Side } from '@tickdesk/schemas';

/** What a parser makes of one line: a tick, or the stable reason it was refused. */
export type LineResult = { ok: true; tick: RawTick } | { ok: false; reason: string };

export const refuse = (reason: string): LineResult => ({ ok: false, reason });

const NUMBER_LIKE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DIGITS = /^\d{1,16}$/;

/**
 * Price or size text, cleaned like canonicalDecimal ("9682.10" → "9682.1"). Text that
 * looks like a number but is no plain decimal ("-5", "1e3") is passed on unchanged so
 * the core refuses it with its own reason; text that is no number at all is undefined.
 */
export function decimalText(text: string): string | undefined {
  const t = text.trim();
  if (!NUMBER_LIKE.test(t)) return undefined;
  return canonicalDecimal(t) ?? t;
}

/** A non-negative safe integer from digits, or undefined. */
export function integerText(text: string): number | undefined {
  const t = text.trim();
  if (!DIGITS.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Microseconds from an integer of µs or an XEP-0082 timestamp string. */
export function timeText(text: string): number | undefined {
  return integerText(text) ?? parseTimestamp(text.trim());
}

/** 'buy' | 'sell' | 'unknown' (any case); '' → no side; anything else → null. */
export function sideText(text: string): Side | undefined | null {
  const t = text.trim().toLowerCase();
  if (t === '') return undefined;
  return t === 'buy' || t === 'sell' || t === 'unknown' ? t : null;
}
