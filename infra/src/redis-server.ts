import net from 'node:net';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from './binaries.js';
import { InfraError } from './errors.js';
import { startProcess, tail, type ManagedProcess } from './managed-process.js';
import { assertPortFree, waitForPort } from './ports.js';
import { aclFileText, redisUrl, type RedisLogin, type RedisUser } from './redis-auth.js';
import { renderFile } from './template.js';

export interface RedisOptions {
  /** Folder for the rendered config, log, pidfile and data (AOF). */
  dir: string;
  port: number;
  appendfsync?: 'always' | 'everysec';
  /** ACL users (the `default` user is always off); startRedis checks readiness as the first. */
  users: readonly RedisUser[];
  /** Lines appended to the rendered config (a Sentinel desk's replication, redis-sentinel-config.ts). */
  extraConfig?: string;
  /** Who this server is in messages ("Redis", "the Redis replica") and the setting that moves its port. */
  label?: string;
  portSetting?: string;
}

export interface RedisServer {
  readonly port: number;
  /** `redis://<first user>:<password>@127.0.0.1:<port>` */
  readonly url: string;
  /** The first user's login. */
  readonly login: RedisLogin;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

const TEMPLATE = new URL('../redis/redis.conf.tmpl', import.meta.url);

/**
 * Start a private redis-server with AOF on 127.0.0.1:`port`, reachable only by `users`.
 * Its folders are 0700 and its files 0600 (config, ACL file, log, AOF: Redis runs with
 * umask 077); folders and files an older desk left with wider modes are narrowed.
 */
export async function startRedis(opts: RedisOptions): Promise<RedisServer> {
  const bin = requireBinary('redis-server', 'redis-server');
  const first = opts.users[0];
  if (!first) throw new InfraError('TICKDESK_INFRA_START_FAILED', 'Redis needs at least one ACL user');
  const label = opts.label ?? 'Redis';
  await assertPortFree(opts.port, label, opts.portSetting ?? 'TICKDESK_REDIS_PORT');
  const conf = join(opts.dir, 'redis.conf');
  const text =
    renderFile(TEMPLATE, { dir: opts.dir, port: opts.port, appendfsync: opts.appendfsync ?? 'everysec' }) +
    (opts.extraConfig ?? '');
  writePrivate(opts.dir, { [conf]: text, [join(opts.dir, 'users.acl')]: aclFileText(opts.users) });
  const proc = startProcess(bin, [conf], { umask: 0o077 });
  const login = { username: first.name, password: first.password };
  try {
    await waitForPort(opts.port, 15_000, proc.alive);
    await pingRedis(opts.port, login);
  } catch (err) {
    await proc.stop();
    throw new InfraError(
      'TICKDESK_INFRA_START_FAILED',
      `${label} did not start on port ${opts.port}: ${(err as Error).message}\n${tail(join(opts.dir, 'redis.log'))}`,
    );
  }
  return { port: opts.port, url: redisUrl(opts.port, login), login, process: proc, stop: () => proc.stop() };
}

/** The folders 0700, the given files written 0600, and what is already there narrowed to those modes. */
function writePrivate(dir: string, files: Record<string, string>): void {
  const data = join(dir, 'data');
  const aof = join(data, 'appendonly');
  for (const d of [dir, data]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    chmodSync(d, 0o700);
  }
  if (existsSync(aof)) {
    chmodSync(aof, 0o700);
    for (const f of readdirSync(aof)) chmodSync(join(aof, f), 0o600);
  }
  for (const f of ['redis.log', 'redis.pid'].map((n) => join(dir, n))) if (existsSync(f)) chmodSync(f, 0o600);
  for (const [path, text] of Object.entries(files)) {
    writeFileSync(path, text, { mode: 0o600 });
    chmodSync(path, 0o600);
  }
}

/** AUTH, then PING until Redis (or a sentinel) answers PONG (Redis refuses commands while loading the AOF). */
export async function pingRedis(port: number, login: RedisLogin, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const resp = (...args: string[]) =>
    `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  for (;;) {
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      const s = net.connect(port, '127.0.0.1', () =>
        s.write(resp('AUTH', login.username, login.password) + resp('PING')),
      );
      s.on('data', (d) => {
        text += d.toString();
        if (text.split('\r\n').length > 2) {
          s.destroy();
          resolve(text);
        }
      });
      s.once('error', (e) => resolve(e.message));
      s.once('close', () => resolve(text || 'connection closed'));
    });
    const [auth = '', pong = ''] = reply.split('\r\n');
    if (auth.startsWith('-')) throw new Error(`Redis refused AUTH as ${login.username}: ${auth.slice(1)}`);
    if (pong.startsWith('+PONG')) return;
    if (Date.now() > deadline) throw new Error(`Redis answered ${reply.trim()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
