import { canonicalRecord, GENESIS_HASH, recordTimeMs, type AuditRecord } from './audit-record.js';
import type { auditKeys } from './redis-layout.js';

/**
 * Appends one record if the caller's view of the head is still current: its seq follows
 * the head's, its prevHash is the head's hash and its time is not earlier than the head's.
 * Otherwise nothing is written and the reply is the head, for the caller to link again.
 * XADD goes first: if it fails (a log and head out of step) nothing is written at all.
 *
 * One `fired` record per alert: a `fired` record of an alert whose index already lists one
 * is refused ({2, seq of that record}), whatever the head. Two engines can each append an
 * alert's fired record when the instrument's lease moves while one of them waits for Redis
 * (docs/reliability.md); checked here, in the script that appends, no ordering of the two
 * gets both in. The alert's own index (a few records) is read: no key is added.
 *
 * KEYS: head, log, by-time, trader, symbol, alert. ARGV: seq, prevHash, ms, r, h, padded seq,
 * key id ("" for an unkeyed record: no k field), event.
 */
export const APPEND_LUA = `
if ARGV[8] == 'fired' then
  for _, s in ipairs(redis.call('ZRANGE', KEYS[6], 0, -1)) do
    local e = redis.call('XRANGE', KEYS[2], s .. '-0', s .. '-0')[1]
    local fields = e and e[2] or {}
    for i = 1, #fields - 1, 2 do
      if fields[i] == 'r' then
        local ok, rec = pcall(cjson.decode, fields[i + 1])
        if ok and type(rec) == 'table' and rec[6] == 'fired' then return {2, s} end
      end
    end
  end
end
local head = redis.call('HMGET', KEYS[1], 'seq', 'hash', 'ms')
local seq, hash, ms = tonumber(head[1] or '0'), head[2] or '${GENESIS_HASH}', tonumber(head[3] or '0')
if tonumber(ARGV[1]) ~= seq + 1 or ARGV[2] ~= hash or tonumber(ARGV[3]) < ms then
  return {0, head[1] or '0', hash, head[3] or '0'}
end
if ARGV[7] == '' then
  redis.call('XADD', KEYS[2], ARGV[1] .. '-0', 'r', ARGV[4], 'h', ARGV[5])
else
  redis.call('XADD', KEYS[2], ARGV[1] .. '-0', 'r', ARGV[4], 'h', ARGV[5], 'k', ARGV[7])
end
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'hash', ARGV[5], 'ms', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[6])
for i = 4, 6 do redis.call('ZADD', KEYS[i], ARGV[1], ARGV[1]) end
return {1}
`;

/** The append script's keys and arguments for `r`. */
export function appendCall(keys: ReturnType<typeof auditKeys>, r: AuditRecord): [string[], (string | number)[]] {
  return [
    [keys.head, keys.log, keys.byTime, keys.trader(r.trader), keys.symbol(r.symbol), keys.alert(r.alertId)],
    [
      r.seq,
      r.prevHash,
      recordTimeMs(r.time)!,
      canonicalRecord(r),
      r.hash,
      String(r.seq).padStart(16, '0'),
      r.keyId ?? '',
      r.event,
    ],
  ];
}

/** What one run of the script did: appended, refused (the alert's fired record is in the chain), or nothing (the head moved). */
export function appendOutcome([err, reply]: [Error | null, unknown]): 'appended' | 'fired-recorded' | 'stale' | Error {
  if (err) return err;
  const code = Array.isArray(reply) ? (reply[0] as unknown) : undefined;
  return code === 1 ? 'appended' : code === 2 ? 'fired-recorded' : 'stale';
}
