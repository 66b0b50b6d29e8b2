import { createHash, createHmac } from 'node:crypto';
import { canonicalRecord, type AuditRecord } from './audit-record.js';
import { badInput } from './store-errors.js';

/**
 * The audit chain's secret, kept outside Redis (the desk's credentials file): with it a
 * record's `hash` is HMAC-SHA256(key, canonical record) instead of a plain SHA-256, so
 * write access to Redis is not enough to rewrite records and recompute the links.
 */
export interface AuditKey {
  /** At least 32 random bytes, base64url. */
  key: string;
  /**
   * The first seq appended with the key (kept beside it, outside Redis). Records before it
   * may be unkeyed (written before the desk had a key); from it on an unkeyed record is a
   * rewrite. Unset: only an unkeyed record after a keyed one is caught.
   */
  keyedFrom?: number;
}

/** A usable key: its bytes and its public id, which each keyed record names. */
export interface ChainKey {
  readonly bytes: Buffer;
  /** 16 hex digits of SHA-256 over a label and the key: says which key, reveals nothing of it. */
  readonly id: string;
  readonly keyedFrom: number | undefined;
}

export const KEY_ID = /^[0-9a-f]{16}$/;

export function chainKey(k: AuditKey): ChainKey {
  const bytes = Buffer.from(k.key, 'base64url');
  if (bytes.length < 32) throw badInput('the audit key must be at least 32 bytes (base64url)');
  if (k.keyedFrom !== undefined && (!Number.isSafeInteger(k.keyedFrom) || k.keyedFrom < 1))
    throw badInput('keyedFrom must be a positive integer');
  const id = createHash('sha256').update('tickdesk audit key id\0').update(bytes).digest('hex').slice(0, 16);
  return { bytes, id, keyedFrom: k.keyedFrom };
}

/** HMAC-SHA256 (RFC 2104) of the canonical serialisation, lowercase hex: a keyed record's hash. */
export function macRecord(r: Omit<AuditRecord, 'hash' | 'keyId'>, key: ChainKey): string {
  return createHmac('sha256', key.bytes).update(canonicalRecord(r), 'utf8').digest('hex');
}

/**
 * Why a record's key marking is not acceptable here, or undefined: a keyed record needs this
 * key (its HMAC is then checked by the caller); an unkeyed one must lie before the key's start
 * and before any keyed record. `lastKeyed` is the seq of the last keyed record so far (0: none).
 */
export function keyProblem(
  r: AuditRecord,
  at: number,
  key: ChainKey | undefined,
  lastKeyed: number,
): string | undefined {
  if (r.keyId !== undefined) {
    if (!key) return `record ${at} is keyed (key ${r.keyId}): verifying it needs the audit key`;
    if (r.keyId !== key.id) return `record ${at} is keyed with another key (${r.keyId}), not this desk's (${key.id})`;
    return undefined;
  }
  if (key?.keyedFrom !== undefined && at >= key.keyedFrom) {
    return `record ${at} is not keyed, but every record from seq ${key.keyedFrom} is (the desk has had its audit key since): it was rewritten without the key`;
  }
  if (lastKeyed > 0)
    return `record ${at} is not keyed, but record ${lastKeyed} before it is keyed: it was rewritten without the key`;
  return undefined;
}
