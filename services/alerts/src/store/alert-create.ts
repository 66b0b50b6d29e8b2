import type { StoredAlert } from './alert-record.js';
import { encodeAlert } from './alert-record.js';
import { LUA_FENCE, LUA_TABLES } from './alert-lua.js';
import type { alertKeys } from './redis-layout.js';

/** Rate caps a repeating rule's firing is stored under, counted in Redis so every engine shares them. */
export interface AlertCaps {
  /** Engine time (epoch ms) of the firing: the window is (now - windowMs, now]. */
  now: number;
  windowMs: number;
  perRule: number;
  perOwner: number;
}

/** What `create` checks inside the script that stores the alert. */
export interface CreateGuard {
  /** The instrument's lease token (several engines): 'fenced' when a larger one was seen. */
  token?: number;
  /** The alert is a once rule's firing, of this rule version: 'once-fired' when that version (or a later one) already has an alert. */
  onceVersion?: number;
  /** 'capped-rule' / 'capped-owner' (nothing stored, no budget used) when the alert would go over a cap. */
  caps?: AlertCaps;
}
export type CreateResult = boolean | 'fenced' | 'once-fired' | 'capped-rule' | 'capped-owner';

/**
 * Creates the alert unless its id exists (a firing evaluated again after a crash: 0, and
 * no budget used twice), or refuses it: -1 its lease token is fenced out; -2 a once rule
 * that already has an alert (the mark this script writes with the rule's first alert, so a
 * kill can never leave the alert without the mark); -3 / -4 over the per-rule / per-owner
 * cap (sliding windows of the alerts let through, one sorted set per rule and per owner,
 * expiring with the window).
 * KEYS: alert, outbox, held, by-time, by-trader, by-symbol, fence, once-fired, rate-rule,
 *       rate-owner, then by-state of every state.
 * ARGV: id, doc, state, attempts, next, recipient, life, member, token, symbol, rule id,
 *       once version ('' = not once), now, window, per-rule, per-owner ('' = no caps).
 */
export const CREATE_LUA = `${LUA_TABLES}${LUA_FENCE}
if fenced(KEYS[7], ARGV[10], ARGV[9]) then return -1 end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if ARGV[12] ~= '' then
  if tonumber(redis.call('HGET', KEYS[8], ARGV[11]) or '0') >= tonumber(ARGV[12]) then return -2 end
  redis.call('HSET', KEYS[8], ARGV[11], ARGV[12])
end
if ARGV[15] ~= '' then
  local now, window = tonumber(ARGV[13]), tonumber(ARGV[14])
  for i = 9, 10 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window) end
  if redis.call('ZCARD', KEYS[9]) >= tonumber(ARGV[15]) then return -3 end
  if redis.call('ZCARD', KEYS[10]) >= tonumber(ARGV[16]) then return -4 end
  for i = 9, 10 do
    redis.call('ZADD', KEYS[i], now, ARGV[1])
    redis.call('PEXPIRE', KEYS[i], window)
  end
end
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'state', ARGV[3], 'attempts', ARGV[4], 'next', ARGV[5], 'recipient', ARGV[6], 'life', ARGV[7], 'member', ARGV[8])
for i = 4, 6 do redis.call('ZADD', KEYS[i], 0, ARGV[8]) end
redis.call('ZADD', KEYS[10 + SLOT[ARGV[3]]], 0, ARGV[8])
if OUTBOX[ARGV[3]] then redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1]) end
if ARGV[3] == 'held' then redis.call('ZADD', KEYS[3], 0, ARGV[6] .. '|' .. ARGV[1]) end
return 1
`;
export const CREATE_FIXED_KEYS = 10;

const RESULTS: Record<number, CreateResult> = {
  1: true,
  0: false,
  [-1]: 'fenced',
  [-2]: 'once-fired',
  [-3]: 'capped-rule',
  [-4]: 'capped-owner',
};
export const createResult = (reply: unknown): CreateResult => RESULTS[Number(reply)] ?? false;

/** The script's keys and arguments for `alert`. */
export function createCall(
  keys: ReturnType<typeof alertKeys>,
  stateKeys: readonly string[],
  alert: StoredAlert,
  guard: CreateGuard = {},
) {
  const h = encodeAlert(alert);
  const { caps } = guard;
  const ks = [
    keys.alert(alert.id),
    keys.outbox,
    keys.held,
    keys.byTime,
    keys.byTrader(alert.owner),
    keys.bySymbol(alert.symbol),
    keys.fence,
    keys.onceFired,
    keys.rateRule(alert.ruleId),
    keys.rateOwner(alert.owner),
    ...stateKeys,
  ];
  const args = [
    alert.id,
    h.doc!,
    h.state!,
    h.attempts!,
    h.next!,
    h.recipient!,
    h.life!,
    h.member!,
    guard.token ?? '',
    alert.symbol,
    alert.ruleId,
    guard.onceVersion ?? '',
    caps?.now ?? '',
    caps?.windowMs ?? '',
    caps?.perRule ?? '',
    caps?.perOwner ?? '',
  ];
  return { keys: ks, args };
}
