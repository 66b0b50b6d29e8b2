import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import {
  freePort,
  newRedisPassword,
  redisConnection,
  REDIS_ADMIN_RULES,
  startRedis,
  type RedisServer,
  type RedisUser,
} from '@tickdesk/infra';

/**
 * A private redis-server in a temp folder for a test file; `down`/`up` keep its port and AOF.
 * Its one user, `test`, may do anything (tests FLUSHALL between cases); `users` adds more.
 */
export async function privateRedis({ users = [] }: { users?: readonly RedisUser[] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tickdesk-test-redis-'));
  const port = await freePort();
  const admin: RedisUser = { name: 'test', password: newRedisPassword(), rules: REDIS_ADMIN_RULES };
  const start = () => startRedis({ dir, port, users: [admin, ...users] });
  let server: RedisServer | undefined = await start();
  const clients: Redis[] = [];
  return {
    /** As `test`, with its password. */
    url: server.url,
    port,
    /** A connection as `test`, or as `user` (one of `users`). */
    client(opts: RedisOptions = {}, user: RedisUser = admin): Redis {
      const c = new Redis({ ...redisConnection(port, { username: user.name, password: user.password }), ...opts });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    async down(): Promise<void> {
      await server?.stop();
      server = undefined;
    },
    async up(): Promise<void> {
      server ??= await start();
    },
    async close(): Promise<void> {
      for (const c of clients) c.disconnect();
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
