import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, tail, type RedisCredentials } from '@tickdesk/infra';
import { parseDeskState, type DeskStateFile } from '@tickdesk/schemas';

/**
 * A whole desk in Sentinel mode as a newcomer starts it (`TICKDESK_REDIS_MODE=sentinel`,
 * the built code in dist/, a temporary TICKDESK_HOME, free ports), for test/sentinel/.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(root, 'services/desk/dist/cli.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  log?: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      if ((err as { fatal?: boolean }).fatal) throw err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${log ? `\n${tail(log, 25)}` : ''}`);
    await sleep(100);
  }
}

/** `n` free ports in a row from a free one (the replica takes the Redis port + 1, the sentinels base + 0..2). */
async function freeRun(n: number, taken: number[]): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p + n > 65535) continue;
    const run = Array.from({ length: n }, (_, i) => p + i);
    if (run.some((q) => taken.includes(q))) continue;
    const free = await Promise.all(
      run.slice(1).map(
        async (q) =>
          new Promise<boolean>((resolve) => {
            const s = net.createServer();
            s.once('error', () => resolve(false));
            s.listen(q, '127.0.0.1', () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (free.every(Boolean)) return p;
  }
}

export interface SentinelDesk {
  home: string;
  apiPort: number;
  redisPort: number;
  sentinelPorts: number[];
  env: Record<string, string>;
  state(): DeskStateFile;
  redisCredentials(): RedisCredentials;
  /** A function of its own (not a method): callers hand it on as a probe. */
  healthy: () => Promise<boolean>;
  cli(...args: string[]): Promise<string>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the desk and removes its folder. */
  remove(): Promise<void>;
}

export async function sentinelDesk(extraEnv: Record<string, string> = {}): Promise<SentinelDesk> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx turbo run build)`);
  const home = mkdtempSync(join(tmpdir(), 'tickdesk-sentinel-desk-'));
  const upLog = join(home, 'up.log');
  const ports: number[] = [];
  while (ports.length < 5) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const redisPort = await freeRun(2, ports);
  const sentinelPort = await freeRun(3, [...ports, redisPort, redisPort + 1]);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('TICKDESK_') && !k.startsWith('VITEST')) env[k] = v;
  Object.assign(
    env,
    {
      TICKDESK_HOME: home,
      TICKDESK_API_PORT: String(ports[0]),
      TICKDESK_XMPP_PORT: String(ports[1]),
      TICKDESK_XMPP_TLS_PORT: String(ports[2]),
      TICKDESK_XMPP_HTTP_PORT: String(ports[3]),
      TICKDESK_XMPP_DIST_PORT: String(ports[4]),
      TICKDESK_FEED_RATE: '20',
      TICKDESK_LOG_LEVEL: 'info',
      TICKDESK_REDIS_MODE: 'sentinel',
      TICKDESK_REDIS_PORT: String(redisPort),
      TICKDESK_REDIS_SENTINEL_PORT: String(sentinelPort),
      TICKDESK_REDIS_DOWN_AFTER_MS: '2000',
    },
    extraEnv,
  );
  const apiPort = ports[0]!;
  let up: ChildProcess | undefined;
  const healthy = async () =>
    (await fetch(`http://127.0.0.1:${apiPort}/health`, { signal: AbortSignal.timeout(3_000) })).ok;
  const desk: SentinelDesk = {
    home,
    apiPort,
    redisPort,
    sentinelPorts: [sentinelPort, sentinelPort + 1, sentinelPort + 2],
    env,
    state: () => parseDeskState(readFileSync(join(home, 'desk.json'), 'utf8'))!,
    redisCredentials: () =>
      (JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as { redis: RedisCredentials }).redis,
    healthy,
    cli: (...args) =>
      new Promise<string>((resolve) =>
        execFile(process.execPath, [CLI, ...args], { cwd: root, env, timeout: 60_000 }, (_err, stdout, stderr) =>
          resolve(stdout + stderr),
        ),
      ),
    async start() {
      up = spawn(process.execPath, [CLI, 'up'], {
        cwd: root,
        env,
        stdio: ['ignore', openSync(upLog, 'a'), openSync(upLog, 'a')],
        detached: true,
      });
      await until(
        'the desk to be ready',
        180_000,
        async () => {
          if (up!.exitCode !== null)
            throw Object.assign(new Error(`tickdesk up exited:\n${tail(upLog, 30)}`), { fatal: true });
          return healthy();
        },
        upLog,
      );
    },
    async stop() {
      if (!up || up.exitCode !== null) return;
      const exited = new Promise((r) => up!.once('exit', r));
      up.kill('SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-up!.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 30_000);
      await exited;
      clearTimeout(timer);
    },
    async remove() {
      await desk.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
  return desk;
}

/** A server's replication as INFO replication reports it to the sentinels' user (undefined when it does not answer). */
export async function replication(
  port: number,
  sentinelUserPassword: string,
): Promise<{ role: string; masterPort?: number; linkUp: boolean } | undefined> {
  const c = new Redis({
    host: '127.0.0.1',
    port,
    username: 'sentinel',
    password: sentinelUserPassword,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    const info = await c.info('replication');
    const field = (f: string) => new RegExp(`^${f}:(\\S+)`, 'm').exec(info)?.[1];
    const masterPort = field('master_port');
    return {
      role: field('role') ?? '?',
      ...(masterPort ? { masterPort: Number(masterPort) } : {}),
      linkUp: field('master_link_status') === 'up',
    };
  } catch {
    return undefined;
  } finally {
    c.disconnect();
  }
}
