import { createHash } from 'node:crypto';
import { badInput, type StoreError } from './store-errors.js';

import { AUDIT_EVENTS, type AuditEvent } from '@tickdesk/schemas';

/** One link of the audit chain. */
export interface AuditRecord {
  /** 1, 2, 3, … without gaps. */
  seq: number;
  /** UTC, millisecond precision: 2026-11-21T10:00:00.123Z. Never earlier than the previous record's. */
  time: string;
  alertId: string;
  trader: string;
  symbol: string;
  event: AuditEvent;
  /** Short, e.g. "to=bob" (escalated), "attempt=2"; hashed as "" when absent. */
  detail?: string;
  /** sha256 (lowercase hex) of the stanza XML involved, or "" when none. */
  stanzaHash: string;
  /** The previous record's hash; 64 zeros for seq 1. */
  prevHash: string;
  /**
   * HMAC-SHA256 with the desk's audit key (audit-key.ts) of `canonicalRecord(this)` when
   * `keyId` is set; a plain sha256 of it for a record from before the desk had a key.
   * Lowercase hex either way.
   */
  hash: string;
  /** The id of the key `hash` was made with; absent on an unkeyed record. */
  keyId?: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/**
 * The exact bytes a record's hash covers: the UTF-8 encoding of the JSON array
 *
 *   [seq, time, alertId, trader, symbol, event, detail or "", stanzaHash, prevHash]
 *
 * with no whitespace, seq as a decimal integer, every other element a JSON string.
 * append() refuses control characters (U+0000–U+001F, U+007F) and unpaired surrogates,
 * so the only escapes that can occur are \" and \\; everything else, non-ASCII
 * included, appears as itself. That is RFC 8785 (JCS) for this array, and what
 * ECMAScript JSON.stringify gives. In Python:
 *
 *   body = json.dumps([r["seq"], r["time"], r["alertId"], r["trader"], r["symbol"], r["event"],
 *                      r.get("detail", ""), r["stanzaHash"], r["prevHash"]],
 *                     separators=(",", ":"), ensure_ascii=False).encode("utf-8")
 *   assert hashlib.sha256(body).hexdigest() == r["hash"]
 */
export function canonicalRecord(r: Omit<AuditRecord, 'hash' | 'keyId'>): string {
  return JSON.stringify([
    r.seq,
    r.time,
    r.alertId,
    r.trader,
    r.symbol,
    r.event,
    r.detail ?? '',
    r.stanzaHash,
    r.prevHash,
  ]);
}

/** sha256 of the canonical serialisation, lowercase hex: an unkeyed record's hash. */
export function hashRecord(r: Omit<AuditRecord, 'hash' | 'keyId'>): string {
  return createHash('sha256').update(canonicalRecord(r), 'utf8').digest('hex');
}

/** A record from its stored form (`r` = canonical serialisation, `h` = hash, `k` = key id if keyed); throws when unreadable. */
export function decodeRecord(r: string, h: string, k?: string): AuditRecord {
  const v: unknown = JSON.parse(r);
  if (
    !Array.isArray(v) ||
    v.length !== 9 ||
    typeof v[0] !== 'number' ||
    v.slice(1).some((x) => typeof x !== 'string')
  ) {
    throw new Error('not a 9-element [seq, …] array');
  }
  const [seq, time, alertId, trader, symbol, event, detail, stanzaHash, prevHash] = v as [number, ...string[]];
  const rec: AuditRecord = {
    seq,
    time: time!,
    alertId: alertId!,
    trader: trader!,
    symbol: symbol!,
    event: event as AuditEvent,
    stanzaHash: stanzaHash!,
    prevHash: prevHash!,
    hash: h,
  };
  if (detail) rec.detail = detail;
  if (k !== undefined) rec.keyId = k;
  return rec;
}

const MS_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/;
const HEX64 = /^[0-9a-f]{64}$/;
// Control characters and unpaired UTF-16 surrogates: they would need escapes that languages' JSON encoders disagree on.
// eslint-disable-next-line no-control-regex -- control characters are what this pattern refuses
const UNSAFE = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const EVENTS = new Set<string>(AUDIT_EVENTS);
const LIMITS = { alertId: 128, trader: 128, symbol: 32 } as const;

/** Epoch ms of a record time, or undefined unless it is exactly the `toISOString()` form. */
export function recordTimeMs(time: string): number | undefined {
  if (!MS_TIME.test(time)) return undefined;
  const ms = Date.parse(time);
  return Number.isFinite(ms) && new Date(ms).toISOString() === time ? ms : undefined;
}

/** Why the caller-supplied fields of a record are unacceptable, or undefined when they are fine. */
export function entryProblem(
  e: Pick<AuditRecord, 'alertId' | 'trader' | 'symbol' | 'event' | 'detail' | 'stanzaHash'>,
): string | undefined {
  for (const field of ['alertId', 'trader', 'symbol'] as const) {
    const value: unknown = e[field];
    if (typeof value !== 'string' || value.length === 0 || value.length > LIMITS[field] || UNSAFE.test(value)) {
      return `${field} must be 1–${LIMITS[field]} printable characters`;
    }
  }
  if (!EVENTS.has(e.event)) return `unknown event ${JSON.stringify(e.event)}`;
  if (e.detail !== undefined && (typeof e.detail !== 'string' || e.detail.length > 256 || UNSAFE.test(e.detail))) {
    return 'detail must be at most 256 printable characters';
  }
  if (typeof e.stanzaHash !== 'string' || (e.stanzaHash !== '' && !HEX64.test(e.stanzaHash)))
    return 'stanzaHash must be "" or 64 lowercase hex digits';
  return undefined;
}

/** The error an append of this entry rejects with, or undefined when it is fine. */
export function entryError(e: Parameters<typeof entryProblem>[0] & { time?: string }): StoreError | undefined {
  const problem =
    entryProblem(e) ??
    (e.time !== undefined && recordTimeMs(e.time) === undefined
      ? 'time must be UTC with milliseconds, e.g. 2026-11-21T10:00:00.123Z'
      : undefined);
  return problem ? badInput(`audit record: ${problem}`) : undefined;
}
