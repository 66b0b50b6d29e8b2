import { createHash } from 'node:crypto';
import { badInput } from './store-errors.js';

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
  /** sha256 (lowercase hex) of `canonicalRecord(this)`. */
  hash: string;
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
export function canonicalRecord(r: Omit<AuditRecord, 'hash'>): string {
  return JSON.stringify([r.seq, r.time, r.alertId, r.trader, r.symbol, r.event, r.detail ?? '', r.stanzaHash, r.prevHash]);
}

/** sha256 of the canonical serialisation, lowercase hex. */
export function hashRecord(r: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(canonicalRecord(r), 'utf8').digest('hex');
}

/** A record from its stored form (`r` = canonical serialisation, `h` = hash); throws when unreadable. */
export function decodeRecord(r: string, h: string): AuditRecord {
  const v: unknown = JSON.parse(r);
  if (!Array.isArray(v) || v.length !== 9 || typeof v[0] !== 'number' || v.slice(1).some((x) => typeof x !== 'string')) {
    throw new Error('not a 9-element [seq, …] array');
  }
  const [seq, time, alertId, trader, symbol, event, detail, stanzaHash, prevHash] = v as [number, ...string[]];
  const rec: AuditRecord = { seq, time: time!, alertId: alertId!, trader: trader!, symbol: symbol!, event: event as AuditEvent, stanzaHash: stanzaHash!, prevHash: prevHash!, hash: h };
  if (detail) rec.detail = detail;
  return rec;
}

const MS_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/;
const HEX64 = /^[0-9a-f]{64}$/;
// Control characters and unpaired UTF-16 surrogates: they would need escapes that languages' JSON encoders disagree on.
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
export function entryProblem(e: Pick<AuditRecord, 'alertId' | 'trader' | 'symbol' | 'event' | 'detail' | 'stanzaHash'>): string | undefined {
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
  if (typeof e.stanzaHash !== 'string' || (e.stanzaHash !== '' && !HEX64.test(e.stanzaHash))) return 'stanzaHash must be "" or 64 lowercase hex digits';
  return undefined;
}

export function checkEntry(e: Parameters<typeof entryProblem>[0] & { time?: string }): void {
  const problem = entryProblem(e) ?? (e.time !== undefined && recordTimeMs(e.time) === undefined ? 'time must be UTC with milliseconds, e.g. 2026-11-21T10:00:00.123Z' : undefined);
  if (problem) throw badInput(`audit record: ${problem}`);
}

export type VerifyResult =
  | { ok: true; records: number; head: string }
  /** `records` intact records precede `brokenSeq`, the first seq at which the chain is not intact. */
  | { ok: false; records: number; brokenSeq: number; reason: string };

type Tip = { seq: number; hash: string; time: string };

/** Why `r`, read where seq `at` belongs after `last`, breaks the chain; undefined when it links on. */
function linkProblem(r: AuditRecord | Error, at: number, last: Tip): string | undefined {
  if (r instanceof Error) return `record ${at} cannot be read: ${r.message}`;
  const readAs = r.seq === at ? '' : ` (read as seq ${String(r.seq)})`;
  if (typeof r.hash !== 'string' || hashRecord(r) !== r.hash) return `record ${at}${readAs} was altered: its hash does not match its content`;
  if (r.seq > at) return `record ${at} is missing (the next record is ${r.seq})`;
  if (r.seq !== at) return `record ${r.seq} is repeated or out of order where ${at} was expected`;
  if (r.prevHash !== last.hash) return `record ${at}: prevHash does not match the hash of ${at === 1 ? 'the genesis (64 zeros)' : `record ${at - 1}`}`;
  const problem = entryProblem(r) ?? (recordTimeMs(r.time) === undefined ? `malformed time ${JSON.stringify(r.time)}` : undefined);
  if (problem) return `record ${at}: ${problem}`;
  if (r.time < last.time) return `record ${at}: time ${r.time} is earlier than record ${at - 1}'s ${last.time}`;
  return undefined;
}

/** Where and why a chain ending at `last` disagrees with the head it should end at. */
function headProblem(head: { seq: number; hash: string }, last: Tip): [number, string] | undefined {
  if (head.seq > last.seq) return [last.seq + 1, `record ${last.seq + 1} is missing: the chain ends at seq ${last.seq} but its head is seq ${head.seq}`];
  if (head.seq < last.seq) return [head.seq + 1, `record ${head.seq + 1} lies past the head (seq ${head.seq}): it was not appended through the chain`];
  if (head.hash !== last.hash) return [last.seq, `record ${last.seq}: its hash does not match the head's`];
  return undefined;
}

/**
 * Checks records one at a time, in chain order, in constant memory: each record's hash
 * against its content (so an edited record fails at itself), seq continuity (a deleted
 * record fails at the gap), the link to the previous hash, time order, and at the end
 * the expected head (a truncated tail fails there).
 */
export function createChainChecker() {
  let last: Tip = { seq: 0, hash: GENESIS_HASH, time: '' };
  let failure: VerifyResult | undefined;
  return {
    /** Check the next record (or the error reading it); false once the chain is broken. */
    next(r: AuditRecord | Error): boolean {
      if (failure) return false;
      const reason = linkProblem(r, last.seq + 1, last);
      if (reason) {
        failure = { ok: false, records: last.seq, brokenSeq: last.seq + 1, reason };
        return false;
      }
      const { seq, hash, time } = r as AuditRecord;
      last = { seq, hash, time };
      return true;
    },
    /** The verdict; `head` is where the chain should end (its head key, or an export's stated head). */
    end(head?: { seq: number; hash: string }): VerifyResult {
      if (failure) return failure;
      const broken = head && headProblem(head, last);
      if (broken) return { ok: false, records: broken[0] - 1, brokenSeq: broken[0], reason: broken[1] };
      return { ok: true, records: last.seq, head: last.hash };
    },
  };
}

/** Verify records in chain order (e.g. an exported file), optionally against the head they should end at. */
export function verifyRecords(records: Iterable<AuditRecord>, head?: { seq: number; hash: string }): VerifyResult {
  const checker = createChainChecker();
  for (const r of records) if (!checker.next(r)) break;
  return checker.end(head);
}
