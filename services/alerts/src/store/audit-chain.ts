import type { Redis } from 'ioredis';
import { chainKey, macRecord, type AuditKey } from './audit-key.js';
import { APPEND_LUA, appendCall, appendOutcome } from './audit-append.js';
import { entryError, GENESIS_HASH, hashRecord, recordTimeMs, type AuditRecord } from './audit-record.js';
import { createAuditReader, type AuditQuery } from './audit-reader.js';
import { auditKeys, DEFAULT_PREFIX } from './redis-layout.js';
import { defineScript, replies } from './redis-script.js';
import { createReplicaAck, type ReplicaAckOptions } from './replica-ack.js';
import { StoreError } from './store-errors.js';

/** What the engine supplies; the chain adds seq, time (unless given), prevHash and hash. */
export type AuditEntry = Omit<AuditRecord, 'seq' | 'time' | 'prevHash' | 'hash' | 'keyId'> & { time?: string };
export type { AuditQuery };

/** Records linked and sent per round trip. */
const BATCH = 256;
/** Rounds lost to other writers (or to errors) before an append gives up. */
const MAX_ROUNDS = 100;

interface Tip {
  seq: number;
  hash: string;
  ms: number;
}
interface Pending {
  entry: AuditEntry;
  resolve(r: AuditRecord): void;
  reject(err: unknown): void;
}

/**
 * The tamper-evident audit log (layout in redis-layout.ts, hashing in audit-record.ts).
 * Appends from one process go through a queue and are linked locally in batches, one
 * pipeline per batch; the append script makes each record linearisable across
 * processes, and a batch that lost the race to another process is linked again.
 * With `key` (kept outside Redis) each record's hash is an HMAC and verify() checks it;
 * without one records are appended unkeyed, as before the desk had a key.
 */
export function createAuditChain({
  redis,
  prefix = DEFAULT_PREFIX,
  now = Date.now,
  key,
  anchorPath,
  ack: ackOptions,
}: {
  redis: Redis;
  prefix?: string;
  now?: () => number;
  key?: AuditKey;
  /** Where the chain's head is anchored outside Redis (audit-anchor.ts); verify() checks against it. */
  anchorPath?: string;
  /** An append resolves only once this many replicas have it (replica-ack.ts); none by default. */
  ack?: ReplicaAckOptions;
}) {
  const keys = auditKeys(prefix);
  const mac = key ? chainKey(key) : undefined;
  const appendScript = defineScript(redis, 'tdAuditAppendKeyed', 6, APPEND_LUA);
  const reader = createAuditReader({ redis, keys, ...(key ? { key } : {}), ...(anchorPath ? { anchorPath } : {}) });
  const ack = createReplicaAck(redis, ackOptions ?? { replicas: 0, timeoutMs: 1 });
  const queue: Pending[] = [];
  let draining = false;
  let tip: Tip | undefined;

  async function readTip(): Promise<Tip> {
    const [seq, hash, ms] = await redis.hmget(keys.head, 'seq', 'hash', 'ms');
    return { seq: Number(seq ?? 0), hash: hash ?? GENESIS_HASH, ms: Number(ms ?? 0) };
  }

  function link(entry: AuditEntry, prev: Tip): AuditRecord {
    const wanted = entry.time === undefined ? Math.floor(now()) : recordTimeMs(entry.time)!;
    // Engine processes' clocks differ by a few ms: a record is never dated before its predecessor.
    const ms = Math.max(wanted, prev.ms);
    const time = entry.time !== undefined && ms === wanted ? entry.time : new Date(ms).toISOString();
    const { alertId, trader, symbol, event, detail, stanzaHash } = entry;
    const rec = {
      seq: prev.seq + 1,
      time,
      alertId,
      trader,
      symbol,
      event,
      ...(detail ? { detail } : {}),
      stanzaHash,
      prevHash: prev.hash,
    };
    return mac ? { ...rec, hash: macRecord(rec, mac), keyId: mac.id } : { ...rec, hash: hashRecord(rec) };
  }

  /** How many of `recs` (consecutive, in order) are in the log with exactly our hash. */
  async function landed(recs: AuditRecord[]): Promise<number> {
    const entries = await redis.xrange(keys.log, `${recs[0]!.seq}-0`, `${recs[recs.length - 1]!.seq}-0`);
    const stored = new Map(entries.map(([id, fields]) => [id, fields[fields.indexOf('h') + 1]]));
    let n = 0;
    while (n < recs.length && stored.get(`${recs[n]!.seq}-0`) === recs[n]!.hash) n++;
    return n;
  }

  /**
   * Appends `batch` in order; each record in `written` (not yet resolved) with the request it
   * answers, and in `refused` each `fired` record the chain already had for its alert.
   */
  async function append(batch: Pending[], written: Array<[Pending, AuditRecord]>, refused: Pending[]): Promise<void> {
    let rest = batch;
    for (let round = 0; rest.length > 0; round++) {
      if (round === MAX_ROUNDS)
        throw new StoreError(
          'TICKDESK_ALERTS_STORE_APPEND_FAILED',
          `audit append: no progress after ${MAX_ROUNDS} rounds`,
        );
      let prev = tip ?? (await readTip());
      const recs = rest.map((p) => {
        const r = link(p.entry, prev);
        prev = { seq: r.seq, hash: r.hash, ms: recordTimeMs(r.time)! };
        return r;
      });
      const pipe = redis.pipeline();
      for (const r of recs) appendScript.queue(pipe, ...appendCall(keys, r));
      const outcomes = replies(await pipe.exec()).map(appendOutcome);
      let done = 0;
      while (done < recs.length && outcomes[done] === 'appended') done++;
      if (done < recs.length) {
        // Lost a race, or a reply was lost with the connection and ioredis resent a script
        // that had already run: count what is in the log with our hashes as written.
        tip = undefined;
        done += await landed(recs.slice(done));
        const outcome = outcomes[done];
        if (done < recs.length && (outcome instanceof Error || outcome === 'fired-recorded')) {
          // Taken out; the records linked after it are linked again in the next round.
          if (outcome instanceof Error) rest[done]!.reject(outcome);
          else refused.push(rest[done]!);
          recs.splice(done, 1);
          rest = [...rest.slice(0, done), ...rest.slice(done + 1)];
        }
      } else {
        tip = prev;
      }
      for (let i = 0; i < done; i++) written.push([rest[i]!, recs[i]!]);
      rest = rest.slice(done);
    }
  }

  /**
   * Appends, then (with `ack`) waits until the replicas have the records before any append
   * resolves. If the connection changed meanwhile (a fail-over), the records the current
   * primary lacks were lost with the old one: they are linked and appended again, and the
   * rest are acknowledged by a witness write.
   */
  async function write(batch: Pending[]): Promise<void> {
    const written: Array<[Pending, AuditRecord]> = [];
    const refused: Pending[] = [];
    let rest = batch;
    for (let pass = 0; ; pass++) {
      if (pass === MAX_ROUNDS)
        throw new StoreError(
          'TICKDESK_ALERTS_STORE_NOT_ACKNOWLEDGED',
          `audit append: not acknowledged by a replica after ${MAX_ROUNDS} fail-overs`,
        );
      const mark = ack.mark();
      await append(rest, written, refused);
      let verdict = await ack.confirm(mark);
      while (verdict === 'connection-changed') {
        tip = undefined;
        const kept = written.length === 0 ? 0 : await landed(written.map(([, r]) => r));
        if (kept < written.length) break;
        verdict = await ack.witness(keys.head, 'seq');
      }
      if (verdict === 'acked') {
        for (const [p, r] of written) p.resolve(r);
        // A refused fired record resolves with the one the chain holds, once the replicas have it.
        for (const p of refused) {
          const found = await recorded(p.entry.alertId, 'fired');
          if (found) p.resolve(found);
          else
            p.reject(
              new StoreError(
                'TICKDESK_ALERTS_STORE_NOT_ACKNOWLEDGED',
                `audit record of ${p.entry.alertId}: the fired record the chain had is gone (a fail-over): not stored`,
              ),
            );
        }
        return;
      }
      const kept = await landed(written.map(([, r]) => r));
      rest = written.splice(kept).map(([p]) => p);
    }
  }

  /** The first record of `event` for `alertId`, found on the primary and then acknowledged by a witness write. */
  async function recorded(alertId: string, event: AuditRecord['event']): Promise<AuditRecord | undefined> {
    for (let pass = 0; pass < MAX_ROUNDS; pass++) {
      let found: AuditRecord | undefined;
      for await (const r of reader.iterate({ alertId })) {
        if (r.event !== event) continue;
        found = r;
        break;
      }
      if (!found) return undefined;
      if ((await ack.witness(keys.head, 'seq')) === 'acked') return found;
      // 'connection-changed' (a fail-over meanwhile): look again on the new primary.
    }
    throw new StoreError(
      'TICKDESK_ALERTS_STORE_NOT_ACKNOWLEDGED',
      `audit record of ${alertId}: not acknowledged by a replica after ${MAX_ROUNDS} fail-overs`,
    );
  }

  async function drain(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, BATCH);
        try {
          await write(batch);
        } catch (err) {
          tip = undefined;
          for (const p of batch) p.reject(err); // no-op for those already resolved
        }
      }
    } finally {
      draining = false;
    }
  }

  return {
    /** Append one record; resolves once it is in Redis, linked to its predecessor. */
    append(entry: AuditEntry): Promise<AuditRecord> {
      const bad = entryError(entry);
      if (bad) return Promise.reject(bad);
      return new Promise<AuditRecord>((resolve, reject) => {
        queue.push({ entry, resolve, reject });
        void drain();
      });
    },

    async head(): Promise<{ seq: number; hash: string }> {
      const { seq, hash } = await readTip();
      return { seq, hash };
    },

    /**
     * Whether the chain holds a record of `event` for `alertId` that the replicas have (throws
     * NOT_ACKNOWLEDGED when it still is not). An append that failed to be acknowledged may have
     * landed all the same: a caller retrying it asks this first rather than write the record twice.
     */
    acknowledged: async (alertId: string, event: AuditRecord['event']): Promise<boolean> =>
      (await recorded(alertId, event)) !== undefined,

    range: reader.range,
    iterate: reader.iterate,
    verify: reader.verify,
  };
}

export type AuditChain = ReturnType<typeof createAuditChain>;
