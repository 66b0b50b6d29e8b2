import { canonicalSignedDecimal, compareDecimal, parseTimestamp } from '@tickdesk/schemas';
import type { SensorEntry } from './topic-filter.js';

/** Why a sensor message became no tick; each is counted (label `reason`) and logged. */
export type RefusalReason =
  | 'not-decimal'
  | 'too-precise'
  | 'out-of-range'
  | 'unmapped-topic'
  | 'future-time'
  | 'bad-time'
  | 'too-large'
  | 'retained-skipped';

export type SensorReading =
  { ok: true; value: string; eventMicros: number } | { ok: false; reason: RefusalReason; detail: string };

export interface ReadingInput {
  payload: Buffer;
  /** The MQTT 5 user property `time`, if the message had one (an array when repeated). */
  timeProperty?: string | string[];
  /** Receive time, µs. */
  nowMicros: number;
}

/** Payloads longer than this are refused; the broker's message_size_limit should be no larger. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024;
const MAX_FUTURE_MICROS = 5_000_000;
// Strict: an optional minus, no leading zeros, no exponent, no plus, no spaces, no unit.
const VALUE_RE = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const refuse = (reason: RefusalReason, detail: string): SensorReading => ({ ok: false, reason, detail });

function decode(payload: Buffer): { value: unknown; time: unknown } | undefined {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return undefined;
  }
  if (!text.startsWith('{')) return { value: text, time: undefined };
  try {
    const obj = JSON.parse(text) as unknown;
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
    const { value, time } = obj as { value?: unknown; time?: unknown };
    return { value, time };
  } catch {
    return undefined;
  }
}

/**
 * A sensor message's payload as a value of `entry`: the bare decimal text (`8.4`, `-18.5`) or
 * `{"value":"8.4","time":"…Z"}` (a JSON number is refused: it is a float). Event time from the
 * payload's `time`, else the user property `time`, else receive time.
 */
export function readSensorValue(
  entry: SensorEntry,
  { payload, timeProperty, nowMicros }: ReadingInput,
  maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES,
): SensorReading {
  if (payload.length > maxPayloadBytes) return refuse('too-large', `${payload.length} bytes`);
  const body = decode(payload);
  if (body === undefined) return refuse('not-decimal', 'neither text nor a JSON object');
  const { value, time } = body;
  if (typeof value !== 'string' || !VALUE_RE.test(value) || value.length > 40)
    return refuse('not-decimal', JSON.stringify(value ?? null).slice(0, 60));
  const dot = value.indexOf('.');
  if (dot >= 0 && value.length - dot - 1 > entry.decimals)
    return refuse('too-precise', `${value} has more than ${entry.decimals} decimals`);
  const canonical = canonicalSignedDecimal(value)!;
  if (compareDecimal(canonical, entry.min) < 0 || compareDecimal(canonical, entry.max) > 0)
    return refuse('out-of-range', `${value} outside ${entry.min}..${entry.max}`);
  const timeText = time ?? timeProperty;
  let eventMicros = nowMicros;
  if (timeText !== undefined) {
    const t = typeof timeText === 'string' ? parseTimestamp(timeText) : undefined;
    if (t === undefined) return refuse('bad-time', JSON.stringify(timeText).slice(0, 60));
    if (t > nowMicros + MAX_FUTURE_MICROS) return refuse('future-time', JSON.stringify(timeText));
    eventMicros = t;
  }
  return { ok: true, value: canonical, eventMicros };
}
