import { ALERT_STATES } from '@tickdesk/schemas';
import { OUTBOX_STATES } from './alert-record.js';

// The outbox scripts find a state's index key by its position among the KEYS they are given.
export const LUA_TABLES = `
local SLOT = {${ALERT_STATES.map((s, i) => `['${s}'] = ${i + 1}`).join(', ')}}
local OUTBOX = {${OUTBOX_STATES.map((s) => `['${s}'] = true`).join(', ')}}
`;

/*
 * Fencing (Kleppmann, "How to do distributed locking"): with several engines, each write an
 * engine makes for an instrument it holds by lease carries the lease's token; the fence
 * hash keeps the largest token seen per instrument, and a write with a smaller one (a holder
 * that stalled past its lease and woke up) is refused inside the same script, so it cannot
 * store or send anything. A larger token raises the fence. token '' = no lease (one engine).
 */
export const LUA_FENCE = `
local function fenced(key, symbol, token)
  if token == '' then return false end
  local t = tonumber(token)
  local cur = tonumber(redis.call('HGET', key, symbol) or '0')
  if t < cur then return true end
  if t > cur then redis.call('HSET', key, symbol, token) end
  return false
end
`;
