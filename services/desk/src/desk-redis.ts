import { join } from 'node:path';
import {
  redisUrl,
  startRedis,
  startRedisSentinelSet,
  type ManagedProcess,
  type RedisServer,
  type RedisUser,
  type RestartOptions,
} from '@tickdesk/infra';
import type { Credentials } from './credentials.js';

/**
 * One Redis process of the desk: its part name, log, the process running now, and a restart
 * with the same config, data and port (a Sentinel desk's data node in the role the sentinels
 * give it: infra/src/redis-rejoin.ts).
 */
export interface DeskRedisPart {
  readonly name: string;
  readonly logPath: string;
  readonly process: ManagedProcess;
  restart(opts?: RestartOptions): Promise<ManagedProcess>;
}

/** Redis's layout: one server (single), or a primary, its replica and three sentinels (sentinel). */
export interface DeskRedisSetup {
  mode: 'single' | 'sentinel';
  replicaPort?: number;
  sentinelPorts?: readonly number[];
  downAfterMs?: number;
}

/** One redis-server, or the Sentinel set (its primary on `opts.port`); `redis` describes the primary as it was started. */
export async function startDeskRedis(
  home: string,
  opts: { dir: string; port: number; users: RedisUser[] },
  setup: DeskRedisSetup,
  credentials: Credentials,
): Promise<{ redis: RedisServer; parts: DeskRedisPart[] }> {
  if (setup.mode === 'single') {
    let server = await startRedis(opts);
    const part: DeskRedisPart = {
      name: 'redis',
      logPath: join(opts.dir, 'redis.log'),
      get process() {
        return server.process;
      },
      async restart() {
        server = await startRedis(opts);
        return server.process;
      },
    };
    return { redis: server, parts: [part] };
  }
  const set = await startRedisSentinelSet({
    home,
    users: opts.users,
    credentials: credentials.redis,
    ports: { primary: opts.port, replica: setup.replicaPort ?? opts.port + 1, sentinels: setup.sentinelPorts ?? [] },
    ...(setup.downAfterMs ? { downAfterMs: setup.downAfterMs } : {}),
  });
  const login = { username: opts.users[0]!.name, password: opts.users[0]!.password };
  const parts = set.parts.map((p): DeskRedisPart => ({
    name: p.name,
    logPath: p.logPath,
    get process() {
      return p.process;
    },
    restart: (o) => p.restart(o),
  }));
  // Provisioning and the audit anchor talk to the primary of the start (after a fail-over, the
  // server on the replica's port), as the sentinels name it; services go through the sentinels.
  const port = (await set.primaryPort()) ?? opts.port;
  const primary = set.parts.find((p) => p.port === port) ?? set.parts[0]!;
  return {
    redis: {
      port,
      url: redisUrl(port, login),
      login,
      get process() {
        return primary.process;
      },
      stop: () => set.stop(),
    },
    parts,
  };
}
