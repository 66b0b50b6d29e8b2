import type { Redis } from 'ioredis';
import { parseTimestamp } from '@tickdesk/schemas';
import { readAuditAnchor, type AuditAnchor } from './audit-anchor.js';
import type { AuditKey } from './audit-key.js';
import { decodeRecord, GENESIS_HASH, type AuditRecord } from './audit-record.js';
import { createChainChecker, type VerifyResult } from './audit-verify.js';
import type { auditKeys } from './redis-layout.js';
import { values } from './redis-script.js';
import { badInput } from './store-errors.js';

/** Filters of a chain query; all optional, combined with AND. Times: fromTime inclusive, toTime exclusive. */
export interface AuditQuery {
  /** Cursor: only records after this seq. */
  afterSeq?: number;
  trader?: string;
  symbol?: string;
  alertId?: string;
  fromTime?: string;
  toTime?: string;
}

type StreamEntry = [id: string, fields: string[]];
interface Page {
  records: AuditRecord[];
  /** Seq of the last entry read (from the log or an index), the next cursor. */ last?: number;
}

const MAX_LIMIT = 10_000;
/** Seqs examined per round trip when several filters are combined. */
const SCAN_BATCH = 512;

function decodeEntry([id, fields]: StreamEntry): AuditRecord {
  const r = fields[fields.indexOf('r') + 1];
  const h = fields[fields.indexOf('h') + 1];
  if (!fields.includes('r') || !fields.includes('h') || r === undefined || h === undefined)
    throw new Error(`log entry ${id} lacks its r or h field`);
  return decodeRecord(r, h, fields.includes('k') ? fields[fields.indexOf('k') + 1] : undefined);
}

const entrySeq = (id: string): number => Number(id.slice(0, id.indexOf('-')));

function timeBound(text: string, name: string): number {
  const micros = parseTimestamp(text);
  if (micros === undefined) throw badInput(`${name} must be an XEP-0082 UTC timestamp`);
  return Math.ceil(micros / 1000); // records carry whole ms: t >= bound ⇔ t*1000 >= micros
}

/** Queries and verification over the chain's keys (layout in redis-layout.ts). */
export function createAuditReader({
  redis,
  keys,
  key,
  anchorPath,
}: {
  redis: Redis;
  keys: ReturnType<typeof auditKeys>;
  key?: AuditKey;
  anchorPath?: string;
}) {
  /** [lo, hi] seqs allowed by the cursor and the time range (times never decrease along the chain); undefined when empty. */
  async function seqBounds(q: AuditQuery): Promise<[number, number] | undefined> {
    const after = q.afterSeq ?? 0;
    if (!Number.isSafeInteger(after) || after < 0) throw badInput('afterSeq must be a non-negative integer');
    const p = redis.pipeline();
    if (q.fromTime !== undefined)
      p.zrange(keys.byTime, timeBound(q.fromTime, 'fromTime'), '+inf', 'BYSCORE', 'LIMIT', 0, 1);
    if (q.toTime !== undefined)
      p.zrange(keys.byTime, `(${timeBound(q.toTime, 'toTime')}`, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 1);
    const found = p.length > 0 ? (values(await p.exec()) as string[][]) : [];
    let lo = after + 1;
    let hi = Number.MAX_SAFE_INTEGER;
    let i = 0;
    if (q.fromTime !== undefined) lo = Math.max(lo, Number(found[i++]?.[0] ?? Number.POSITIVE_INFINITY));
    if (q.toTime !== undefined) hi = Number(found[i]?.[0] ?? 0);
    return lo <= hi ? [lo, hi] : undefined;
  }

  /** Seqs in [lo, hi] present in every index, ascending, at most `limit`; walks the smallest index. */
  async function matching(indexes: string[], lo: number, hi: number, limit: number): Promise<number[]> {
    if (indexes.length === 1)
      return (await redis.zrange(indexes[0]!, lo, hi, 'BYSCORE', 'LIMIT', 0, limit)).map(Number);
    const counts = values(await indexes.reduce((p, k) => p.zcount(k, lo, hi), redis.pipeline()).exec()) as number[];
    const [driver, ...others] = indexes
      .map((k, i) => [k, counts[i]!] as const)
      .sort((a, b) => a[1] - b[1])
      .map(([k]) => k);
    const out: number[] = [];
    for (let from = lo; out.length < limit;) {
      const seqs = await redis.zrange(driver!, from, hi, 'BYSCORE', 'LIMIT', 0, SCAN_BATCH);
      if (seqs.length === 0) break;
      const scores = values(await others.reduce((p, k) => p.zmscore(k, ...seqs), redis.pipeline()).exec()) as (
        string | null
      )[][];
      for (let i = 0; i < seqs.length; i++) if (scores.every((col) => col[i] !== null)) out.push(Number(seqs[i]));
      if (seqs.length < SCAN_BATCH) break;
      from = Number(seqs[seqs.length - 1]) + 1;
    }
    return out.slice(0, limit);
  }

  async function page(q: AuditQuery, limit: number): Promise<Page> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      throw badInput(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    const bounds = await seqBounds(q);
    if (!bounds) return { records: [] };
    const [lo, hi] = bounds;
    const indexes = [
      q.trader && keys.trader(q.trader),
      q.symbol && keys.symbol(q.symbol),
      q.alertId && keys.alert(q.alertId),
    ].filter((k): k is string => !!k);
    if (indexes.length === 0) {
      const entries = (await redis.xrange(keys.log, `${lo}-0`, String(hi), 'COUNT', limit)) as StreamEntry[];
      return {
        records: entries.map(decodeEntry),
        last: entries.length ? entrySeq(entries[entries.length - 1]![0]) : undefined,
      };
    }
    const seqs = await matching(indexes, lo, hi, limit);
    const found = values(
      await seqs.reduce((p, s) => p.xrange(keys.log, `${s}-0`, `${s}-0`), redis.pipeline()).exec(),
    ) as StreamEntry[][];
    // An index entry whose record is gone (a tampered log) is skipped here; verify() reports it.
    return { records: found.flatMap((e) => e.map(decodeEntry)), last: seqs[seqs.length - 1] };
  }

  /** Records matching `q`, in seq order, at most `limit`; pass the last seq as `afterSeq` for the next page. */
  async function range(q: AuditQuery & { limit: number }): Promise<AuditRecord[]> {
    return (await page(q, q.limit)).records;
  }

  /** Every record matching `q`, in seq order, read `pageSize` at a time. */
  async function* iterate(q: AuditQuery & { pageSize?: number } = {}): AsyncIterable<AuditRecord> {
    const pageSize = q.pageSize ?? 1_000;
    for (let afterSeq = q.afterSeq ?? 0; ;) {
      const p = await page({ ...q, afterSeq }, pageSize);
      yield* p.records;
      if (p.last === undefined || p.last <= afterSeq) return;
      afterSeq = p.last;
    }
  }

  /**
   * Recompute every hash up to the head read at the start, in pages: constant memory.
   * Records appended meanwhile are left for the next run; an entry past the head that
   * no append made is reported. With an anchor (given, or read from `anchorPath`), a
   * chain that does not reach the anchored head is reported too.
   */
  async function verify(opts: { pageSize?: number; anchor?: AuditAnchor } = {}): Promise<VerifyResult> {
    const pageSize = opts.pageSize ?? 1_000;
    // The anchor before the head: an append racing this read can only move the head on.
    const anchor = opts.anchor ?? (anchorPath ? readAuditAnchor(anchorPath) : undefined);
    const [seq, hash] = await redis.hmget(keys.head, 'seq', 'hash');
    const head = { seq: Number(seq ?? 0), hash: hash ?? GENESIS_HASH };
    const checker = createChainChecker(key, anchor);
    let start = '-';
    for (;;) {
      const entries = (await redis.xrange(keys.log, start, String(head.seq), 'COUNT', pageSize)) as StreamEntry[];
      for (const e of entries) {
        let rec: AuditRecord | Error;
        try {
          rec = decodeEntry(e);
        } catch (err) {
          rec = err as Error;
        }
        if (!checker.next(rec)) return checker.end();
      }
      if (entries.length < pageSize) break;
      start = `(${entries[entries.length - 1]![0]}`;
    }
    const verdict = checker.end(head);
    if (!verdict.ok) return verdict;
    // The script writes the log entry and the head together: the head read after the newest entry is at least its seq.
    const [newest, headNow] = values(
      await redis.multi().xrevrange(keys.log, '+', '-', 'COUNT', 1).hget(keys.head, 'seq').exec(),
    ) as [StreamEntry[], string | null];
    const newestSeq = newest[0] ? entrySeq(newest[0][0]) : 0;
    if (newestSeq > Number(headNow ?? 0)) {
      return {
        ok: false,
        records: verdict.records,
        brokenSeq: Number(headNow ?? 0) + 1,
        reason: `log entry ${newest[0]![0]} lies past the head (seq ${headNow ?? 0}): it was not appended through the chain`,
      };
    }
    return verdict;
  }

  return { range, iterate, verify };
}
