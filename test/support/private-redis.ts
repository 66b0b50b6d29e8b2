import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { freePort, startRedis, type RedisServer } from '@tickdesk/infra';

/** A private redis-server in a temp folder for a test file; `down`/`up` keep its port and AOF. */
export async function privateRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'tickdesk-test-redis-'));
  const port = await freePort();
  let server: RedisServer | undefined = await startRedis({ dir, port });
  const clients: Redis[] = [];
  return {
    url: server.url,
    client(opts: RedisOptions = {}): Redis {
      const c = new Redis(`redis://127.0.0.1:${port}`, opts);
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    async down(): Promise<void> {
      await server?.stop();
      server = undefined;
    },
    async up(): Promise<void> {
      server ??= await startRedis({ dir, port });
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
