import type { Redis } from 'ioredis';

/*
 * The recorder's scripts. Each instrument is written by one script over its own keys,
 * which share the tag {<SYMBOL>} (redis-layout.ts): one slot, so the write stays atomic on
 * Redis Cluster too. With leases on, the write carries the recorder's lease token and the
 * script is a fenced write (Kleppmann, "How to do distributed locking"): it refuses a token
 * below the largest it has seen (`fence` in td:recorded:{<SYMBOL>}) and raises the fence to
 * its own. Everything it writes is idempotent: a tick is the same zset member, a candle
 * replaces the bucket's member, marks and seq only rise.
 *
 * KEYS: ticks, candles 1s, 1m, 1h, final, recorded.
 * ARGV: token (0: no lease), max ticks, candle limits 1s 1m 1h, last seq ('' none),
 *       tick count, candle count, mark count, then score member pairs, then
 *       (candle key index 2..4, start, member) triples, then (interval, µs) pairs.
 * Returns 0 when written, else the larger fence that refused it.
 */
const WRITE = `
local token = tonumber(ARGV[1])
if token > 0 then
  local fence = tonumber(redis.call('HGET', KEYS[6], 'fence') or '0')
  if token < fence then return fence end
  if token > fence then redis.call('HSET', KEYS[6], 'fence', ARGV[1]) end
end
local nt, nc, nf = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local i = 10
if nt > 0 then
  -- unpack straight from ARGV, at most 4000 values per call (Lua's C stack holds about 8000)
  local last = i + 2 * nt - 1
  while i <= last do
    local j = math.min(i + 3999, last)
    redis.call('ZADD', KEYS[1], unpack(ARGV, i, j))
    i = j + 1
  end
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[2]) + 1))
end
local touched = {}
for k = 1, nc do
  local idx = tonumber(ARGV[i])
  redis.call('ZREMRANGEBYSCORE', KEYS[idx], ARGV[i + 1], ARGV[i + 1])
  redis.call('ZADD', KEYS[idx], ARGV[i + 1], ARGV[i + 2])
  touched[idx] = true
  i = i + 3
end
for idx = 2, 4 do
  if touched[idx] then redis.call('ZREMRANGEBYRANK', KEYS[idx], 0, -(tonumber(ARGV[idx + 1]) + 1)) end
end
for k = 1, nf do
  local cur = redis.call('HGET', KEYS[5], ARGV[i])
  if not cur or tonumber(cur) < tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1]) end
  i = i + 2
end
if ARGV[6] ~= '' then
  local seq = redis.call('HGET', KEYS[6], 'seq')
  if not seq or tonumber(seq) < tonumber(ARGV[6]) then redis.call('HSET', KEYS[6], 'seq', ARGV[6]) end
end
return 0`;

/** A new holder's first act (before it reads the instrument back): later writes with a smaller token are refused. Returns 0, or the larger fence. */
const CLAIM = `
local fence = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
local token = tonumber(ARGV[1])
if token < fence then return fence end
if token > fence then redis.call('HSET', KEYS[1], 'fence', ARGV[1]) end
return 0`;

/**
 * Last prices (td:last, all instruments in one hash: one slot of its own), written after
 * the instruments' scripts for those they wrote. A field moves only to a larger seq, so a
 * late write of a recorder that has lost the instrument cannot set it back.
 * ARGV: (symbol, record, seq) triples.
 */
const LAST = `
for i = 1, #ARGV, 3 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if not cur or tonumber(cjson.decode(cur).seq) < tonumber(ARGV[i + 2]) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 0`;

type Arg = string | number;
type Runner = (...args: Arg[]) => Promise<unknown>;
const SCRIPTS = { tdRecorderWrite: [6, WRITE], tdRecorderClaim: [1, CLAIM], tdRecorderLast: [1, LAST] } as const;
export type RecorderScript = keyof typeof SCRIPTS;

/**
 * Register the scripts on `redis` (ioredis `defineCommand`: EVALSHA, loaded again on
 * NOSCRIPT); returns a call. Calls are sent one by one, not as one pipeline: ioredis sends
 * them without waiting for replies anyway, and a Redis Cluster client refuses a pipeline
 * whose keys are not all in one slot.
 */
export function recorderScripts(redis: Redis) {
  const commands = redis as unknown as Record<string, Runner | undefined>;
  for (const [name, [numberOfKeys, lua]] of Object.entries(SCRIPTS)) {
    if (typeof commands[name] !== 'function') redis.defineCommand(name, { numberOfKeys, lua });
  }
  return (name: RecorderScript, keys: readonly string[], args: readonly Arg[]): Promise<unknown> =>
    commands[name]!(...keys, ...args);
}
