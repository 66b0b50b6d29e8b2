import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Pubsub } from '@tickdesk/xmpp';
import { decodeRecord, type AuditRecord } from '../store/audit-record.js';
import type { auditKeys } from '../store/redis-layout.js';
import { defineScript } from '../store/redis-script.js';
import { AUDIT_NODE, auditPayload } from './audit-payload.js';

/** Moves the cursor forward only: two engines that both published a batch cannot move it back. */
const ADVANCE_LUA = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
`;
/** The first start sets the cursor at the chain's head, not at 0: history stays in the chain, not re-sent. */
const INIT_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], redis.call('HGET', KEYS[2], 'seq') or '0')
end
return redis.call('GET', KEYS[1])
`;

export interface AuditTailDeps {
  redis: Redis;
  pubsub: Pubsub;
  keys: ReturnType<typeof auditKeys>;
  log: Logger;
  /** Whether this engine publishes now (several engines: the leading one; one engine: always). */
  leads: () => boolean;
  /** Records read and published per round. */
  batch?: number;
  /** How long one XREAD waits for a new record before looking again (leadership, stop). */
  blockMs?: number;
  /** The pause after a failed round (XMPP or Redis away): nothing is skipped, the round is done again. */
  retryMs?: number;
  publishTimeoutMs?: number;
  /**
   * How long the tail waits, once a new record woke it, before it reads and publishes: the
   * records of that time go together, after the alert's own message. Without it a record
   * was published the moment it was appended, each one three Redis round trips and a publish
   * on the server thread that routes the alert (its `fired` record went out before it).
   */
  gapMs?: number;
  onPublished?: (records: readonly AuditRecord[]) => void;
}

/** How long the tail lets records gather once one woke it (AuditTailDeps.gapMs). */
const AUDIT_FEED_GAP_MS = 25;

function decode([id, fields]: [string, string[]]): AuditRecord {
  const at = (f: string) => (fields.includes(f) ? fields[fields.indexOf(f) + 1] : undefined);
  const r = at('r');
  const h = at('h');
  if (r === undefined || h === undefined) throw new Error(`audit log entry ${id} lacks its r or h field`);
  return decodeRecord(r, h, at('k'));
}

/**
 * Follows the chain's log in Redis and publishes each record, in seq order, to the audit
 * node, item id = seq. The cursor (the last seq published) lives in Redis and moves only
 * after the server acknowledged the publishes, so a crash, a lost XMPP session or a change
 * of leading engine re-publishes at most one batch (the same item ids: a reader drops a seq
 * it has) and skips nothing. The append path never waits on it: it reads what was appended,
 * on a connection of its own (XREAD BLOCK).
 */
export function createAuditTail(deps: AuditTailDeps) {
  const { redis, pubsub, keys, log, leads } = deps;
  const batch = deps.batch ?? 256;
  const blockMs = deps.blockMs ?? 1_000;
  const retryMs = deps.retryMs ?? 1_000;
  const gapMs = deps.gapMs ?? AUDIT_FEED_GAP_MS;
  const advance = defineScript(redis, 'tdAuditFeedAdvance', 1, ADVANCE_LUA);
  const init = defineScript(redis, 'tdAuditFeedInit', 2, INIT_LUA);
  let reader: Redis | undefined;
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => (clearTimeout(t), resolve());
    });

  const readCursor = async (): Promise<number> => Number(await redis.get(keys.feedCursor));

  /**
   * One round: wait (`block`) for records after the cursor, publish them, move the cursor;
   * how many log entries it moved past. `cursor`: the one `woken` read for this round. If
   * another engine moved it since, a batch goes out twice (the same item ids, dropped by
   * readers), and ADVANCE_LUA keeps the cursor from moving back.
   */
  async function round(conn: Redis, block: boolean, cursor?: number): Promise<number> {
    const after = `${cursor ?? (await readCursor())}-0`;
    const reply = block
      ? await conn.xread('COUNT', batch, 'BLOCK', blockMs, 'STREAMS', keys.log, after)
      : await conn.xread('COUNT', batch, 'STREAMS', keys.log, after);
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0 || (block && !running) || !leads()) return 0;
    const records: AuditRecord[] = [];
    for (const e of entries) {
      try {
        records.push(decode(e));
      } catch (err) {
        // A log entry no append wrote (the log was tampered with): skipped here, or the feed
        // would stop at it for good; GET /v1/audit/verify names it.
        log.error({ err, entry: e[0] }, 'audit log entry unreadable: not published');
      }
    }
    // Sent together, answered in order: a server handles one session's stanzas in order (RFC 6120 §10.1).
    await Promise.all(
      records.map((r) => pubsub.publish(AUDIT_NODE, auditPayload(r), String(r.seq), deps.publishTimeoutMs)),
    );
    await advance.run([keys.feedCursor], [entries[entries.length - 1]![0].split('-')[0]!]);
    deps.onPublished?.(records);
    return entries.length;
  }

  /**
   * Waits (XREAD BLOCK) until a record follows the cursor: the cursor it read, for the round
   * to read after (one GET a round), and whether a record came within blockMs.
   */
  async function woken(conn: Redis): Promise<{ cursor: number; woke: boolean }> {
    const cursor = await readCursor();
    const reply = await conn.xread('COUNT', 1, 'BLOCK', blockMs, 'STREAMS', keys.log, `${cursor}-0`);
    return { cursor, woke: (reply?.[0]?.[1]?.length ?? 0) > 0 };
  }

  async function run(conn: Redis): Promise<void> {
    while (running) {
      if (!leads()) {
        await pause(blockMs);
        continue;
      }
      try {
        const w = gapMs > 0 ? await woken(conn) : undefined;
        if (w?.woke) await pause(gapMs);
        if (running) await round(conn, gapMs === 0, w?.cursor);
      } catch (err) {
        if (!running) return;
        log.warn({ err }, 'audit records not published yet: trying again');
        await pause(retryMs);
      }
    }
  }

  return {
    async start(): Promise<void> {
      await init.run([keys.feedCursor, keys.head], []);
      reader = redis.duplicate();
      reader.on('error', () => undefined); // ioredis reconnects; a failed round is done again
      running = true;
      loop = run(reader);
    },
    async stop(): Promise<void> {
      running = false;
      wake?.();
      reader?.disconnect(); // ends an XREAD that is waiting
      await loop;
      reader = undefined;
      // What was appended until now, the stop's own records among them, goes before the
      // XMPP session does (a few rounds at most; what is left, the next engine publishes).
      for (let i = 0; i < 4; i++) {
        const moved = await round(redis, false).catch((err: Error) => {
          log.warn({ err }, 'audit records left for the next engine to publish');
          return 0;
        });
        if (moved < batch) break;
      }
    },
    /** The last seq published (the cursor in Redis). */
    published: readCursor,
  };
}
