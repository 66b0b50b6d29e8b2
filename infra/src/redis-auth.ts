import { createHash, randomBytes } from 'node:crypto';
import { InfraError } from './errors.js';
import { redisClientOptions, singleRedis } from './redis-target.js';

/** One Redis ACL user: its name, password and rules (Redis 7.0 ACL syntax). */
export interface RedisUser {
  name: string;
  password: string;
  rules: string;
}

/** What a client authenticates with (AUTH <username> <password>). */
export interface RedisLogin {
  username: string;
  password: string;
}

/** The part of the desk's credentials file that holds the Redis passwords, by user. */
export interface RedisCredentials {
  users: Record<string, string>;
  /** The sentinels' own password (their `requirepass`): clients ask them for the primary with it. */
  sentinelPassword?: string;
}

// Every connection: AUTH, HELLO, PING, SELECT (ioredis connecting), MULTI/EXEC. `-@dangerous`
// comes after the data categories: it takes back FLUSHALL, FLUSHDB, KEYS, SWAPDB, CONFIG,
// CLIENT KILL, SHUTDOWN… that @write, @keyspace and @connection contain. INFO is given back:
// ioredis's ready check reads it to wait until the AOF is loaded. SCAN is taken back too:
// key patterns do not filter it, so it would list every key name of the desk; and
// FUNCTION (FLUSH, LOAD…): no desk service uses server-side functions.
const BASE = '-@all +@connection +@transaction';
const END = '-@dangerous -scan -function +info';
// The stores' Lua scripts (ioredis defineCommand: EVALSHA, EVAL on NOSCRIPT). Redis 7 checks
// each command a script runs against the calling user, so key patterns hold inside scripts.
const SCRIPTS = '+evalsha +eval +script|load +script|exists';

/**
 * The desk's Redis users and what each may do (docs/operations.md, "Redis and the audit
 * chain", has this table). Keys are granted by family (`~` read-write, `%R~` read-only),
 * pub/sub channels with `&`; a new key inside a family needs no change here.
 *
 * - desk: the CLI and provisioning (`tickdesk up`, `users add`, `status`): every `td:*`
 *   key and channel, no server administration.
 * - alerts: rules, alerts (outbox), the audit chain, its own `td:alerts:*` state (heartbeat,
 *   watermark, fired), presence, the per-user write counters it shares with the API
 *   (`td:api:rate:user:*`: chat and ad-hoc writes count there too), its own leases
 *   (`td:{lease:alerts:*`); reads roles and hears of their changes (`td:users:changes`).
 * - recorder: last prices, ticks, candles, what it recorded per instrument (`td:recorded:*`),
 *   its own leases (`td:{lease:recorder:*`); nothing else.
 * - feed: its own leases only (`td:{lease:feed:*`: one active publisher per instrument node).
 * - api: rules, alerts, roles (`td:users`, administration, announced on `td:users:changes`), its rate-limit counters
 *   (`td:api:*`); reads the audit chain (it never appends), market data, presence and the
 *   engine's heartbeat.
 */
export const REDIS_ACL = {
  desk: `${BASE} +@read +@write +@keyspace +@pubsub ${SCRIPTS} ${END} ~td:* &td:*`,
  alerts:
    `${BASE} +@hash +@sortedset +@stream +@string +@keyspace +@pubsub ${SCRIPTS} ${END} ` +
    '~td:{rules}:* ~td:{alerts}:* ~td:{audit}:* ~td:alerts:* ~td:presence ~td:presence:* ~td:api:rate:user:* ~td:{lease:alerts:* %R~td:users* ' +
    '&td:rules:* &td:presence:* &td:users:*',
  recorder: `${BASE} +@hash +@sortedset +@string +@keyspace ${SCRIPTS} ${END} ~td:last ~td:ticks:* ~td:candles:* ~td:recorded:* ~td:{lease:recorder:*`,
  // Leases (services/store lease.ts): GET, SET, INCR, PEXPIRE, PTTL, DEL inside the lease scripts.
  feed: `${BASE} +@string +@keyspace ${SCRIPTS} ${END} ~td:{lease:feed:*`,
  api:
    `${BASE} +@hash +@sortedset +@stream +@string +@keyspace +@pubsub ${SCRIPTS} ${END} ` +
    '~td:{rules}:* ~td:{alerts}:* ~td:users* ~td:api:* %R~td:{audit}:* %R~td:last %R~td:ticks:* %R~td:candles:* ' +
    '%R~td:presence %R~td:presence:* %R~td:alerts:* &td:rules:* &td:presence:* &td:users:*',
} as const;

export type RedisServiceUser = keyof typeof REDIS_ACL;
export const REDIS_SERVICE_USERS = Object.keys(REDIS_ACL) as RedisServiceUser[];

/**
 * Users of a replicated desk (TICKDESK_REDIS_MODE=sentinel) beside the service users, in
 * its ACL files only: `replica`, the replica's login to the primary (PSYNC and REPLCONF,
 * no data commands), and `sentinel`, the sentinels' login to both servers (the rights the
 * Sentinel documentation lists: INFO, ROLE, REPLICAOF, CONFIG REWRITE, CLIENT KILL… and
 * its hello channel). No service knows their passwords.
 */
export const REDIS_REPLICATION_ACL = {
  replica: '-@all +psync +replconf +ping',
  sentinel:
    '-@all allchannels +multi +slaveof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill',
} as const;
export type RedisReplicationUser = keyof typeof REDIS_REPLICATION_ACL;
export const REDIS_REPLICATION_USERS = Object.keys(REDIS_REPLICATION_ACL) as RedisReplicationUser[];

/** Every command, key and channel: only for a private test server's own user, never a desk's. */
export const REDIS_ADMIN_RULES = '+@all ~* &*';

/** A password for a Redis user: 144 random bits, URL-safe. */
export const newRedisPassword = (): string => randomBytes(18).toString('base64url');

/**
 * Fill in a password for every service and replication user that lacks one, and the
 * sentinels' password; true when any was added. They are made in either mode, so a desk
 * switched to Sentinel finds them.
 */
export function completeRedisCredentials(creds: Partial<RedisCredentials> | undefined): {
  redis: RedisCredentials;
  added: boolean;
} {
  const users = { ...(creds?.users ?? {}) };
  let added = false;
  for (const name of [...REDIS_SERVICE_USERS, ...REDIS_REPLICATION_USERS]) {
    if (typeof users[name] === 'string' && users[name].length > 0) continue;
    users[name] = newRedisPassword();
    added = true;
  }
  let sentinelPassword = creds?.sentinelPassword;
  if (typeof sentinelPassword !== 'string' || sentinelPassword.length === 0) {
    sentinelPassword = newRedisPassword();
    added = true;
  }
  return { redis: { users, sentinelPassword }, added };
}

/** The desk's service users with their passwords and rules. */
export function redisServiceUsers(creds: RedisCredentials): RedisUser[] {
  return REDIS_SERVICE_USERS.map((name) => ({
    name,
    password: loginFor(creds, name).password,
    rules: REDIS_ACL[name],
  }));
}

/** The replica's and the sentinels' users with their passwords and rules (a Sentinel desk's ACL files). */
export function redisReplicationUsers(creds: RedisCredentials): RedisUser[] {
  return REDIS_REPLICATION_USERS.map((name) => ({
    name,
    password: loginFor(creds, name).password,
    rules: REDIS_REPLICATION_ACL[name],
  }));
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The ACL file: the `default` user off and without a password (no client can be it: one
 * that does not AUTH can run nothing), then one line per user with its password as a
 * SHA-256 (`#<hex>`), so the file holds no password. `default` keeps every command
 * because Redis 7.0 replays MULTI/EXEC from the AOF as that user (redis/redis#14541):
 * without them, every script's writes were dropped at the next start.
 */
export function aclFileText(users: readonly RedisUser[]): string {
  const lines = ['user default reset off +@all ~* &*'];
  for (const u of users) {
    if (!NAME.test(u.name) || u.name === 'default')
      throw new InfraError('TICKDESK_INFRA_START_FAILED', `bad Redis user name ${JSON.stringify(u.name)}`);
    if (u.password.length < 16)
      throw new InfraError(
        'TICKDESK_INFRA_START_FAILED',
        `the Redis password of ${u.name} is shorter than 16 characters`,
      );
    if (/[\r\n]/.test(u.rules))
      throw new InfraError('TICKDESK_INFRA_START_FAILED', `the ACL rules of ${u.name} span lines`);
    lines.push(`user ${u.name} reset on #${createHash('sha256').update(u.password).digest('hex')} ${u.rules}`);
  }
  return lines.join('\n') + '\n';
}

/** The login of `user` from the credentials file's `redis` part; names the fix when it is missing. */
export function loginFor(creds: Partial<RedisCredentials> | undefined, user: string): RedisLogin {
  const password = creds?.users?.[user];
  if (!password) {
    throw new InfraError(
      'TICKDESK_INFRA_START_FAILED',
      `no Redis password for user ${user} in the credentials file: start the desk once (tickdesk up) to add it`,
    );
  }
  return { username: user, password };
}

/** ioredis options for `login` on one server, 127.0.0.1:`port` (redisClientOptions for a single Redis; merge your own options over them). */
export function redisConnection(
  port: number,
  login: RedisLogin,
  host = '127.0.0.1',
): { host: string; port: number; username: string; password: string } {
  return redisClientOptions(singleRedis(port, host), login) as {
    host: string;
    port: number;
    username: string;
    password: string;
  };
}

/** The same as a URL (`redis://user:password@host:port`), for tools and tests that take one. */
export function redisUrl(port: number, login: RedisLogin, host = '127.0.0.1'): string {
  return `redis://${encodeURIComponent(login.username)}:${encodeURIComponent(login.password)}@${host}:${port}`;
}
