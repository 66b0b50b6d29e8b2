import { InfraError } from './errors.js';
import type { RedisLogin } from './redis-auth.js';

export interface RedisHostPort {
  host: string;
  port: number;
}

/**
 * Where a desk's Redis is: one server (TICKDESK_REDIS_MODE=single), or a primary found
 * through sentinels (TICKDESK_REDIS_MODE=sentinel), which name the primary of the moment.
 * The same shape as the desk topology's `redis` (schemas/src/desk-topology.ts).
 */
export type RedisTarget =
  ({ mode: 'single' } & RedisHostPort) | { mode: 'sentinel'; masterName: string; sentinels: readonly RedisHostPort[] };

/** ioredis options in either mode (the subset the desk sets; merge your own over them). */
export interface RedisClientOptions {
  username: string;
  password: string;
  host?: string;
  port?: number;
  sentinels?: RedisHostPort[];
  name?: string;
  sentinelPassword?: string;
  failoverDetector?: boolean;
}

/**
 * The one way a desk process connects to Redis: `new Redis({ ...redisClientOptions(target,
 * login, credentials.redis.sentinelPassword), ...own })`. In Sentinel mode ioredis asks
 * the sentinels for the primary, checks with ROLE that it is one, and on a lost connection
 * asks again, so after a fail-over it reconnects to the new primary. A primary demoted
 * while up closes its clients itself (the sentinels send CLIENT KILL when they reconfigure
 * it). ioredis's `failoverDetector` (+switch-master) stays off: a switch that arrives
 * while the client is reconnecting ends the client for good ("Connection is closed."):
 * its stale detector disconnects the connector in the middle of a connect. Seen twice in
 * about ten runs of test/sentinel/redis-failover.test.ts with it on, in none of six with it off.
 */
export function redisClientOptions(
  target: RedisTarget,
  login: RedisLogin,
  sentinelPassword?: string,
): RedisClientOptions {
  if (target.mode === 'single')
    return { host: target.host, port: target.port, username: login.username, password: login.password };
  if (!sentinelPassword)
    throw new InfraError(
      'TICKDESK_INFRA_START_FAILED',
      'no sentinel password (credentials.json, redis.sentinelPassword): start the desk once (tickdesk up) to add it',
    );
  return {
    sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: target.masterName,
    sentinelPassword,
    failoverDetector: false,
    username: login.username,
    password: login.password,
  };
}

/** A single server on `port` (127.0.0.1 unless told). */
export const singleRedis = (port: number, host = '127.0.0.1'): RedisTarget => ({ mode: 'single', host, port });
