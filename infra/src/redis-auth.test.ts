import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './ports.js';
import {
  aclFileText,
  completeRedisCredentials,
  loginFor,
  REDIS_ACL,
  REDIS_REPLICATION_USERS,
  REDIS_SERVICE_USERS,
  redisServiceUsers,
  redisUrl,
} from './redis-auth.js';
import { startRedis, type RedisServer } from './redis-server.js';

const dirs: string[] = [];
const servers: RedisServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cli = (port: number, args: string[], env: Record<string, string> = {}) =>
  execFileSync('redis-cli', ['-p', String(port), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  }).trim();
const mode = (p: string) => statSync(p).mode & 0o777;

describe('Redis users', () => {
  it('generates a password for every service user, keeps the ones it has', () => {
    const { redis, added } = completeRedisCredentials(undefined);
    expect(added).toBe(true);
    expect(Object.keys(redis.users).sort()).toEqual([...REDIS_SERVICE_USERS, ...REDIS_REPLICATION_USERS].sort());
    expect(redis.sentinelPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    for (const p of Object.values(redis.users)) expect(p).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const older = { users: { desk: 'kept-desk-password-123' } };
    const again = completeRedisCredentials(older);
    expect(again.added).toBe(true);
    expect(again.redis.users.desk).toBe('kept-desk-password-123');
    expect(completeRedisCredentials(again.redis)).toEqual({ redis: again.redis, added: false });
    expect(() => loginFor({ users: {} }, 'api')).toThrow(/no Redis password for user api/);
  });

  it('renders an ACL file with the default user off and no password in clear', () => {
    const { redis } = completeRedisCredentials(undefined);
    const text = aclFileText(redisServiceUsers(redis));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('user default reset off +@all ~* &*'); // off, no password: nobody can be it (AOF replay needs its rights)
    expect(lines).toHaveLength(1 + REDIS_SERVICE_USERS.length);
    for (const name of REDIS_SERVICE_USERS) {
      const password = redis.users[name]!;
      expect(text).not.toContain(password);
      const sha = createHash('sha256').update(password).digest('hex');
      expect(lines).toContain(`user ${name} reset on #${sha} ${REDIS_ACL[name]}`);
    }
    expect(() => aclFileText([{ name: 'default', password: 'x'.repeat(20), rules: '+@all' }])).toThrow(
      /bad Redis user name/,
    );
    expect(() => aclFileText([{ name: 'a b', password: 'x'.repeat(20), rules: '+@all' }])).toThrow(
      /bad Redis user name/,
    );
    expect(() => aclFileText([{ name: 'eve', password: 'short', rules: '+@all' }])).toThrow(/shorter than 16/);
    expect(() =>
      aclFileText([{ name: 'eve', password: 'x'.repeat(20), rules: '+@all\nuser mallory on nopass +@all ~*' }]),
    ).toThrow(/span lines/);
  });

  it('starts Redis that refuses clients without credentials, with private folders and files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickdesk-redis-auth-'));
    dirs.push(dir);
    // What an older desk left: world-readable folders and AOF files.
    mkdirSync(join(dir, 'data', 'appendonly'), { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, 'data', 'appendonly', 'old.aof'), '', { mode: 0o644 });
    chmodSync(dir, 0o755);
    const { redis } = completeRedisCredentials(undefined);
    const port = await freePort();
    const server = await startRedis({ dir, port, users: redisServiceUsers(redis) });
    servers.push(server);
    expect(server.url).toBe(redisUrl(port, loginFor(redis, 'desk')));

    expect(cli(port, ['ping'])).toMatch(/^NOAUTH/);
    // AUTH fails (on stderr) and the command then meets the unauthenticated connection.
    expect(cli(port, ['--user', 'desk', '--pass', 'wrong-password-123', '--no-auth-warning', 'ping'])).toMatch(
      /^NOAUTH/,
    );
    expect(cli(port, ['--user', 'desk', '--no-auth-warning', 'ping'], { REDISCLI_AUTH: redis.users.desk! })).toBe(
      'PONG',
    );
    expect(
      cli(port, ['--user', 'recorder', '--no-auth-warning', 'hset', 'td:users', 'eve', 'admin'], {
        REDISCLI_AUTH: redis.users.recorder!,
      }),
    ).toMatch(/NOPERM/);
    expect(cli(port, ['--user', 'api', '--no-auth-warning', 'flushall'], { REDISCLI_AUTH: redis.users.api! })).toMatch(
      /NOPERM/,
    );
    expect(
      cli(port, ['--user', 'desk', '--no-auth-warning', 'set', 'td:x', '1'], { REDISCLI_AUTH: redis.users.desk! }),
    ).toBe('OK');

    for (const d of [dir, join(dir, 'data'), join(dir, 'data', 'appendonly')]) expect([d, mode(d)]).toEqual([d, 0o700]);
    const aof = readdirSync(join(dir, 'data', 'appendonly'));
    expect(aof.length).toBeGreaterThan(1); // old.aof and the ones Redis made
    const files = ['redis.conf', 'users.acl', 'redis.log', ...aof.map((f) => join('data', 'appendonly', f))].map((f) =>
      join(dir, f),
    );
    for (const f of files) expect([f, mode(f)]).toEqual([f, 0o600]);
    expect(readFileSync(join(dir, 'redis.conf'), 'utf8')).toContain(`aclfile ${join(dir, 'users.acl')}`);
  });
});
