import type { Redis } from 'ioredis';
import { DEFAULT_PREFIX, leaseKeys } from './keys.js';

/*
 * The lease's three transitions, each one Lua script over the lease's two keys (one slot:
 * keys.ts leaseKeys), so no other client runs between the check and the write. `holder`
 * holds `<token> <owner>` with a PX expiry; `token` is the fencing counter. Every grant,
 * even to the owner that held it last, INCRs the counter: a token is never handed out
 * twice, and a later holder always has a larger one (the fencing rule of the lease's
 * readers: ignore anything stamped with a token below the largest seen).
 */
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local sp = string.find(cur, ' ', 1, true)
  if string.sub(cur, sp + 1) ~= ARGV[1] then
    return {0, tonumber(string.sub(cur, 1, sp - 1)), redis.call('PTTL', KEYS[1])}
  end
end
local t = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], t .. ' ' .. ARGV[1], 'PX', ARGV[2])
return {1, t, tonumber(ARGV[2])}`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[2] .. ' ' .. ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[2] .. ' ' .. ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export interface LeaseGrant {
  granted: boolean;
  /** The holder's fencing token: ours when granted, the other holder's when not. */
  token: number;
  /** Milliseconds the lease still runs (the other holder's, when not granted). */
  ttlMs: number;
}

export interface LeaseHolderRecord {
  token: number;
  owner: string;
  ttlMs: number;
}

/** The lease scripts for one lease name, as `owner`. */
export function createLeaseScripts({
  redis,
  name,
  prefix = DEFAULT_PREFIX,
}: {
  redis: Redis;
  name: string;
  prefix?: string;
}) {
  const keys = leaseKeys(name, prefix);
  return {
    keys,
    async acquire(owner: string, ttlMs: number): Promise<LeaseGrant> {
      const [granted, token, ttl] = (await redis.eval(ACQUIRE, 2, keys.holder, keys.token, owner, ttlMs)) as [
        number,
        number,
        number,
      ];
      return { granted: granted === 1, token, ttlMs: ttl };
    },
    /** True when `owner` still held the lease with `token`; its expiry is then `ttlMs` from now. */
    async renew(owner: string, token: number, ttlMs: number): Promise<boolean> {
      return (await redis.eval(RENEW, 2, keys.holder, keys.token, owner, token, ttlMs)) === 1;
    },
    async release(owner: string, token: number): Promise<boolean> {
      return (await redis.eval(RELEASE, 2, keys.holder, keys.token, owner, token)) === 1;
    },
    /** The current holder, or undefined when the lease is free. */
    async holder(): Promise<LeaseHolderRecord | undefined> {
      const [value, ttl] = await Promise.all([redis.get(keys.holder), redis.pttl(keys.holder)]);
      if (!value) return undefined;
      const sp = value.indexOf(' ');
      return { token: Number(value.slice(0, sp)), owner: value.slice(sp + 1), ttlMs: ttl };
    },
  };
}
export type LeaseScripts = ReturnType<typeof createLeaseScripts>;
