import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Redis, RedisOptions } from 'ioredis';
import type { RedisUser } from '@tickdesk/infra';
import { privateRedis } from './private-redis.js';

interface Running {
  server: Awaited<ReturnType<typeof privateRedis>>;
  client: Redis;
}

/**
 * A private Redis for the calling test file: started before its tests, emptied before each one (unless
 * `flush: false`), stopped after them. Read its members inside tests and hooks: `client` is one shared
 * connection as `test`, `connect` opens another (closed with the server), `down`/`up` keep port and AOF.
 */
export function usePrivateRedis({ users, flush = true }: { users?: readonly RedisUser[]; flush?: boolean } = {}) {
  let running: Running | undefined;
  const started = (): Running => {
    if (!running) throw new Error('the private Redis starts in beforeAll: use it inside tests and hooks');
    return running;
  };
  beforeAll(async () => {
    const server = await privateRedis({ users });
    running = { server, client: server.client() };
  });
  afterAll(() => running?.server.close());
  if (flush) beforeEach(() => started().client.flushall());
  return {
    get client(): Redis {
      return started().client;
    },
    connect: (opts?: RedisOptions, user?: RedisUser): Redis => started().server.client(opts, user),
    get port(): number {
      return started().server.port;
    },
    get url(): string {
      return started().server.url;
    },
    down: () => started().server.down(),
    up: () => started().server.up(),
  };
}
