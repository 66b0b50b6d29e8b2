import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from './binaries.js';
import { InfraError } from './errors.js';
import { startProcess, tail, type ManagedProcess } from './managed-process.js';
import { assertPortFree, waitForPort } from './ports.js';
import { loginFor, redisReplicationUsers, type RedisCredentials, type RedisUser } from './redis-auth.js';
import { pingRedis, startRedis, type RedisServer } from './redis-server.js';
import { chooseRejoinRole, namedPrimary } from './redis-rejoin.js';
import {
  DEFAULT_REJOIN_FAILOVER_MS,
  DEFAULT_SENTINEL_DOWN_AFTER_MS,
  DEFAULT_SENTINEL_FAILOVER_TIMEOUT_MS,
  DEFAULT_SENTINEL_MASTER,
  SENTINEL_QUORUM,
  recordedPrimaryPort,
  replicationConfigText,
  sentinelConfigText,
} from './redis-sentinel-config.js';
import type { RedisTarget } from './redis-target.js';

export interface RedisSentinelOptions {
  /** The desk's folder: the servers in redis/ and redis-replica/, the sentinels in sentinel-<n>/. */
  home: string;
  ports: { primary: number; replica: number; sentinels: readonly number[] };
  /** The desk's service users (startRedis checks readiness as the first). */
  users: readonly RedisUser[];
  /** Passwords of the `replica` and `sentinel` users and the sentinels' own (credentials.json). */
  credentials: RedisCredentials;
  appendfsync?: 'always' | 'everysec';
  name?: string;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  /** A restarted data node waits for the sentinels' fail-over at most down-after + this (DEFAULT_REJOIN_FAILOVER_MS). */
  rejoinFailoverMs?: number;
}

export interface RestartOptions {
  /** Aborted when the desk stops: a data node's wait for the sentinels ends. */
  signal?: AbortSignal;
  /** A line for the desk's log: the role a data node comes back in, and why. */
  report?: (line: string) => void;
}

/** One process of the set, restartable with the same folder and port. */
export interface SentinelSetPart {
  /** redis, redis-replica (their roles at the first start), sentinel-1… */
  readonly name: string;
  readonly port: number;
  readonly logPath: string;
  readonly process: ManagedProcess;
  /** The first start: a data node in its role as the sentinels' files record it. */
  start(): Promise<ManagedProcess>;
  /**
   * After an exit: a data node asks the sentinels which node is primary and comes back as
   * its replica, waiting (bounded) for their fail-over while they still name the dead node
   * (redis-rejoin.ts); a sentinel starts as before.
   */
  restart(opts?: RestartOptions): Promise<ManagedProcess>;
}

export interface RedisSentinelSet {
  readonly parts: readonly SentinelSetPart[];
  /** For redisClientOptions, with the sentinels' password (credentials.redis.sentinelPassword). */
  readonly target: Extract<RedisTarget, { mode: 'sentinel' }>;
  /** The primary's port as most sentinels report it now (undefined when none answers). */
  primaryPort(): Promise<number | undefined>;
  /** Sentinels first (no fail-over while stopping), then the servers. */
  stop(): Promise<void>;
}

/** A command to a sentinel, by redis-cli (the password in its environment, not its arguments); its reply's lines. */
export function sentinelCommand(port: number, password: string, args: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'redis-cli',
      ['-h', '127.0.0.1', '-p', String(port), ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', REDISCLI_AUTH: password }, timeout: 5_000 },
      (err, stdout) => {
        if (err) reject(new Error(err.message, { cause: err }));
        else resolve(stdout.trimEnd().split('\n'));
      },
    );
  });
}

/**
 * A private Sentinel set on 127.0.0.1: a primary and a replica (redis-server with AOF, the
 * desk's ACL users plus `replica` and `sentinel`) and three sentinels (quorum 2), started
 * in that order; resolves once every sentinel knows the replica and the two others, so a
 * fail-over can be elected from the first second.
 */
export async function startRedisSentinelSet(opts: RedisSentinelOptions): Promise<RedisSentinelSet> {
  const sentinelBin = requireBinary('redis-sentinel', 'redis-sentinel');
  const name = opts.name ?? DEFAULT_SENTINEL_MASTER;
  const sentinelPassword = opts.credentials.sentinelPassword;
  if (!sentinelPassword)
    throw new InfraError(
      'TICKDESK_INFRA_START_FAILED',
      "no sentinelPassword in the credentials file's redis part: start the desk once (tickdesk up) to add it",
    );
  if (opts.ports.sentinels.length !== 3)
    throw new InfraError(
      'TICKDESK_INFRA_START_FAILED',
      `a Sentinel set has 3 sentinels, not ${opts.ports.sentinels.length}`,
    );
  const sentinelDirs = opts.ports.sentinels.map((_, i) => join(opts.home, `sentinel-${i + 1}`));
  const sentinelConfs = sentinelDirs.map((d) => join(d, 'sentinel.conf'));
  const users = [...opts.users, ...redisReplicationUsers(opts.credentials)];
  const replicaPassword = loginFor(opts.credentials, 'replica').password;
  const settings = {
    name,
    quorum: SENTINEL_QUORUM,
    downAfterMs: opts.downAfterMs ?? DEFAULT_SENTINEL_DOWN_AFTER_MS,
    failoverTimeoutMs: opts.failoverTimeoutMs ?? DEFAULT_SENTINEL_FAILOVER_TIMEOUT_MS,
  };

  const recorded = () => recordedPrimaryPort(sentinelConfs, name, opts.ports.primary);
  const rejoinWaitMs = settings.downAfterMs + (opts.rejoinFailoverMs ?? DEFAULT_REJOIN_FAILOVER_MS);
  const serverPart = (partName: string, dir: string, port: number, label: string): SentinelSetPart => {
    let proc: ManagedProcess | undefined;
    const startAs = async (primaryPort: number) => {
      const server: RedisServer = await startRedis({
        dir,
        port,
        users,
        label,
        portSetting: 'TICKDESK_REDIS_PORT',
        extraConfig: replicationConfigText({ replicaPassword, primaryPort, ownPort: port }),
        ...(opts.appendfsync ? { appendfsync: opts.appendfsync } : {}),
      });
      proc = server.process;
      return proc;
    };
    const part: SentinelSetPart = {
      name: partName,
      port,
      logPath: join(dir, 'redis.log'),
      get process() {
        return proc!;
      },
      // Its role as the sentinels last recorded it: after a fail-over the old primary comes back as a replica.
      start: () => startAs(recorded()),
      async restart({ signal, report } = {}) {
        const other = parts.find((p) => p !== part && p.name.startsWith('redis'));
        const choice = await chooseRejoinRole({
          ownPort: port,
          waitMs: rejoinWaitMs,
          recordedPrimary: recorded,
          askSentinels: () => askSentinelsForPrimary(opts.ports.sentinels, sentinelPassword, name),
          otherAlive: () => other?.process?.alive() ?? false,
          ...(signal ? { signal } : {}),
        });
        report?.(`${choice.why} (asked the sentinels for ${(choice.waitedMs / 1000).toFixed(1)} s)`);
        return startAs(choice.primaryPort);
      },
    };
    return part;
  };

  const sentinelPart = (i: number): SentinelSetPart => {
    const dir = sentinelDirs[i]!;
    const port = opts.ports.sentinels[i]!;
    const conf = sentinelConfs[i]!;
    let proc: ManagedProcess | undefined;
    return {
      name: `sentinel-${i + 1}`,
      port,
      logPath: join(dir, 'sentinel.log'),
      get process() {
        return proc!;
      },
      async start() {
        await assertPortFree(port, `Redis sentinel ${i + 1}`, 'TICKDESK_REDIS_SENTINEL_PORT');
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        chmodSync(dir, 0o700);
        if (!existsSync(conf)) {
          const text = sentinelConfigText({
            ...settings,
            dir,
            port,
            primaryPort: opts.ports.primary,
            sentinelPassword,
            sentinelUserPassword: loginFor(opts.credentials, 'sentinel').password,
          });
          writeFileSync(conf, text, { mode: 0o600 });
        }
        chmodSync(conf, 0o600);
        const p = startProcess(sentinelBin, [conf], { umask: 0o077 });
        try {
          await waitForPort(port, 15_000, p.alive);
          await pingRedis(port, { username: 'default', password: sentinelPassword });
        } catch (err) {
          await p.stop();
          throw new InfraError(
            'TICKDESK_INFRA_START_FAILED',
            `Redis sentinel ${i + 1} did not start on port ${port}: ${(err as Error).message}\n${tail(join(dir, 'sentinel.log'))}`,
          );
        }
        proc = p;
        return p;
      },
      restart() {
        return this.start();
      },
    };
  };

  const parts: SentinelSetPart[] = [
    serverPart('redis', join(opts.home, 'redis'), opts.ports.primary, 'Redis'),
    serverPart('redis-replica', join(opts.home, 'redis-replica'), opts.ports.replica, 'the Redis replica'),
    ...opts.ports.sentinels.map((_, i) => sentinelPart(i)),
  ];
  const started: SentinelSetPart[] = [];
  const stop = async () => {
    for (const p of [...started].reverse()) await p.process.stop();
  };
  try {
    for (const p of parts) {
      await p.start();
      started.push(p);
    }
    await waitForSentinels(opts.ports.sentinels, sentinelPassword, name, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    parts,
    target: {
      mode: 'sentinel',
      masterName: name,
      sentinels: opts.ports.sentinels.map((port) => ({ host: '127.0.0.1', port })),
    },
    async primaryPort() {
      return namedPrimary(await askSentinelsForPrimary(opts.ports.sentinels, sentinelPassword, name), -1);
    },
    stop,
  };
}

/** Each sentinel's answer to SENTINEL GET-MASTER-ADDR-BY-NAME: the primary's port, undefined where one does not answer. */
export function askSentinelsForPrimary(
  ports: readonly number[],
  password: string,
  name: string,
): Promise<Array<number | undefined>> {
  return Promise.all(
    ports.map(async (port) => {
      const reply = await sentinelCommand(port, password, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name]).catch(
        () => undefined,
      );
      return reply && /^\d+$/.test(reply[1] ?? '') ? Number(reply[1]) : undefined;
    }),
  );
}

/** Until each sentinel sees the replica and the two other sentinels (hello messages, every 2 s). */
async function waitForSentinels(
  ports: readonly number[],
  password: string,
  name: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const views = await Promise.all(
      ports.map(async (port) => {
        const lines = await sentinelCommand(port, password, ['SENTINEL', 'MASTER', name]).catch(() => [] as string[]);
        const field = (f: string) => Number(lines[lines.indexOf(f) + 1] ?? NaN);
        return { port, sentinels: field('num-other-sentinels'), replicas: field('num-slaves') };
      }),
    );
    if (views.every((v) => v.sentinels >= ports.length - 1 && v.replicas >= 1)) return;
    if (Date.now() > deadline) {
      throw new InfraError(
        'TICKDESK_INFRA_START_FAILED',
        `the Redis sentinels did not find each other and the replica in ${timeoutMs / 1000} s: ${views.map((v) => `sentinel on ${v.port} sees ${v.sentinels} sentinels, ${v.replicas} replicas`).join('; ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
