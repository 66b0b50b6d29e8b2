import net from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from './binaries.js';
import { InfraError } from './errors.js';
import { startProcess, tail, type ManagedProcess } from './managed-process.js';
import { assertPortFree, waitForPort } from './ports.js';
import { renderFile } from './template.js';

export interface RedisOptions {
  /** Folder for the rendered config, log, pidfile and data (AOF). */
  dir: string;
  port: number;
  appendfsync?: 'always' | 'everysec';
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

const TEMPLATE = new URL('../redis/redis.conf.tmpl', import.meta.url);

/** Start a private redis-server with AOF on 127.0.0.1:`port`. */
export async function startRedis(opts: RedisOptions): Promise<RedisServer> {
  const bin = requireBinary('redis-server', 'redis-server');
  await assertPortFree(opts.port, 'Redis', 'TICKDESK_REDIS_PORT');
  mkdirSync(join(opts.dir, 'data'), { recursive: true });
  const conf = join(opts.dir, 'redis.conf');
  writeFileSync(conf, renderFile(TEMPLATE, { dir: opts.dir, port: opts.port, appendfsync: opts.appendfsync ?? 'everysec' }));
  const proc = startProcess(bin, [conf]);
  try {
    await waitForPort(opts.port, 15_000, proc.alive);
    await ping(opts.port);
  } catch (err) {
    await proc.stop();
    throw new InfraError(
      'TICKDESK_INFRA_START_FAILED',
      `Redis did not start on port ${opts.port}: ${(err as Error).message}\n${tail(join(opts.dir, 'redis.log'))}`,
    );
  }
  return { port: opts.port, url: `redis://127.0.0.1:${opts.port}`, process: proc, stop: () => proc.stop() };
}

/** PING until Redis answers PONG (it refuses commands while loading the AOF). */
async function ping(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
      s.once('data', (d) => { s.destroy(); resolve(d.toString()); });
      s.once('error', (e) => resolve(e.message));
    });
    if (reply.startsWith('+PONG')) return;
    if (Date.now() > deadline) throw new Error(`Redis answered ${reply.trim()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
