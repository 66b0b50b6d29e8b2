import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { rateKeys } from '@tickdesk/store';

/**
 * The REST API's per-user write counter (services/api/src/plugins/rate-limits.ts:
 * @fastify/rate-limit, namespace `td:api:rate:`, key `user:<name>`). Chat and ad-hoc
 * writes count in the same key, so a trader has one budget whatever the path.
 */
export const WRITE_RATE_KEY = rateKeys().user;

/** The same counting as @fastify/rate-limit's Redis store: the window starts at the first write. */
const TAKE_LUA = `
local current = redis.call('INCR', KEYS[1])
local ttl
if current == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
else
  ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
  end
end
return {current, ttl}
`;

export type WriteVerdict = { ok: true } | { ok: false; retryAfterMs: number };
export interface WriteBudget {
  take(user: string): Promise<WriteVerdict>;
}

export interface WriteBudgetDeps {
  redis: Redis;
  /** Writes per user per window (TICKDESK_API_WRITE_RATE_MAX, shared with the API). */
  max: number;
  /** TICKDESK_API_RATE_WINDOW_MS, shared with the API. */
  windowMs: number;
  log?: Logger;
}

/** Counts one write of `user`; over `max` in the window it is refused. When Redis cannot count, the write goes through, as the REST limiter's skipOnError does. */
export function createWriteBudget({ redis, max, windowMs, log }: WriteBudgetDeps): WriteBudget {
  let warned = false;
  return {
    async take(user) {
      try {
        const [count, ttl] = (await redis.eval(TAKE_LUA, 1, WRITE_RATE_KEY(user), windowMs)) as [number, number];
        warned = false;
        return count <= max ? { ok: true } : { ok: false, retryAfterMs: Math.max(0, ttl) };
      } catch (err) {
        // Said once per outage: a refused counter (a Redis ACL without td:api:rate:user:*) would otherwise lift the limit silently.
        if (!warned) log?.warn({ err }, 'chat and ad-hoc writes not counted: the write limit is not applied');
        warned = true;
        return { ok: true };
      }
    },
  };
}
