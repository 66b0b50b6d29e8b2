import { chainKey, keyProblem, KEY_ID, macRecord, type AuditKey, type ChainKey } from './audit-key.js';
import type { AuditAnchor } from './audit-anchor.js';
import { entryProblem, GENESIS_HASH, hashRecord, recordTimeMs, type AuditRecord } from './audit-record.js';

export type VerifyResult =
  /** `keyed` records carry this desk's HMAC; `unkeyed` ones (from before the key) only a plain SHA-256. */
  | { ok: true; records: number; head: string; keyed: number; unkeyed: number }
  /** `records` intact records precede `brokenSeq`, the first seq at which the chain is not intact. */
  | { ok: false; records: number; brokenSeq: number; reason: string };

type Tip = { seq: number; hash: string; time: string };

/** Why `r`, read where seq `at` belongs after `last`, breaks the chain; undefined when it links on. */
function linkProblem(
  r: AuditRecord | Error,
  at: number,
  last: Tip,
  key: ChainKey | undefined,
  lastKeyed: number,
): string | undefined {
  if (r instanceof Error) return `record ${at} cannot be read: ${r.message}`;
  const readAs = r.seq === at ? '' : ` (read as seq ${String(r.seq)})`;
  if (r.keyId !== undefined && (typeof r.keyId !== 'string' || !KEY_ID.test(r.keyId)))
    return `record ${at}${readAs} names no valid key id`;
  const marking = keyProblem(r, at, key, lastKeyed);
  if (marking) return marking;
  const expected = r.keyId !== undefined ? macRecord(r, key!) : hashRecord(r);
  if (typeof r.hash !== 'string' || expected !== r.hash)
    return `record ${at}${readAs} was altered: its ${r.keyId !== undefined ? 'HMAC' : 'hash'} does not match its content`;
  if (r.seq > at) return `record ${at} is missing (the next record is ${r.seq})`;
  if (r.seq !== at) return `record ${r.seq} is repeated or out of order where ${at} was expected`;
  if (r.prevHash !== last.hash)
    return `record ${at}: prevHash does not match the hash of ${at === 1 ? 'the genesis (64 zeros)' : `record ${at - 1}`}`;
  const problem =
    entryProblem(r) ?? (recordTimeMs(r.time) === undefined ? `malformed time ${JSON.stringify(r.time)}` : undefined);
  if (problem) return `record ${at}: ${problem}`;
  if (r.time < last.time) return `record ${at}: time ${r.time} is earlier than record ${at - 1}'s ${last.time}`;
  return undefined;
}

/** Where and why a chain ending at `last` disagrees with the head it should end at. */
function headProblem(head: { seq: number; hash: string }, last: Tip): [number, string] | undefined {
  if (head.seq > last.seq)
    return [
      last.seq + 1,
      `record ${last.seq + 1} is missing: the chain ends at seq ${last.seq} but its head is seq ${head.seq}`,
    ];
  if (head.seq < last.seq)
    return [
      head.seq + 1,
      `record ${head.seq + 1} lies past the head (seq ${head.seq}): it was not appended through the chain`,
    ];
  if (head.hash !== last.hash) return [last.seq, `record ${last.seq}: its hash does not match the head's`];
  return undefined;
}

/**
 * Checks records one at a time, in chain order, in constant memory: each record's HMAC (with
 * `key`) or plain hash against its content (so an edited record fails at itself), that
 * unkeyed records lie only before the key's start, seq continuity (a deleted record fails
 * at the gap), the link to the previous hash, time order, and at the end the expected head
 * (a truncated tail fails there). Without `key` a keyed record cannot be checked and fails.
 * With `anchor` (a head recorded outside Redis, audit-anchor.ts) the chain must reach the
 * anchored seq with the anchored hash: a tail cut together with its head fails there.
 */
export function createChainChecker(key?: AuditKey, anchor?: AuditAnchor) {
  const k = key ? chainKey(key) : undefined;
  let last: Tip = { seq: 0, hash: GENESIS_HASH, time: '' };
  let lastKeyed = 0;
  let keyed = 0;
  let failure: VerifyResult | undefined;
  return {
    /** Check the next record (or the error reading it); false once the chain is broken. */
    next(r: AuditRecord | Error): boolean {
      if (failure) return false;
      const reason = linkProblem(r, last.seq + 1, last, k, lastKeyed);
      if (reason) {
        failure = { ok: false, records: last.seq, brokenSeq: last.seq + 1, reason };
        return false;
      }
      const { seq, hash, time, keyId } = r as AuditRecord;
      if (anchor && seq === anchor.seq && hash !== anchor.hash) {
        failure = {
          ok: false,
          records: seq - 1,
          brokenSeq: seq,
          reason: `record ${seq} is not the one anchored outside Redis at ${anchor.at}: the chain was replaced from there`,
        };
        return false;
      }
      last = { seq, hash, time };
      if (keyId !== undefined) {
        lastKeyed = seq;
        keyed++;
      }
      return true;
    },
    /** The verdict; `head` is where the chain should end (its head key, or an export's stated head). */
    end(head?: { seq: number; hash: string }): VerifyResult {
      if (failure) return failure;
      const broken = head && headProblem(head, last);
      if (broken) return { ok: false, records: broken[0] - 1, brokenSeq: broken[0], reason: broken[1] };
      if (anchor && last.seq < anchor.seq) {
        return {
          ok: false,
          records: last.seq,
          brokenSeq: last.seq + 1,
          reason: `records ${last.seq + 1} to ${anchor.seq} are missing: seq ${anchor.seq} was anchored outside Redis at ${anchor.at}, but the chain ends at seq ${last.seq}`,
        };
      }
      return { ok: true, records: last.seq, head: last.hash, keyed, unkeyed: last.seq - keyed };
    },
  };
}

/** Verify records in chain order (e.g. an exported file), optionally against the head they should end at, with the desk's key. */
export function verifyRecords(
  records: Iterable<AuditRecord>,
  head?: { seq: number; hash: string },
  key?: AuditKey,
  anchor?: AuditAnchor,
): VerifyResult {
  const checker = createChainChecker(key, anchor);
  for (const r of records) if (!checker.next(r)) break;
  return checker.end(head);
}
