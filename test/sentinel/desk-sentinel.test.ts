import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, tail } from '@tickdesk/infra';
import { parseDeskState, type DeskStateFile } from '@tickdesk/schemas';

/**
 * A whole desk in Sentinel mode as a newcomer starts it (`TICKDESK_REDIS_MODE=sentinel`,
 * the built code in dist/, a temporary TICKDESK_HOME, free ports): its Redis parts in
 * `tickdesk status` and /health, a fail-over watched in `tickdesk status`, and the desk
 * stopped and started again after it (the promoted server stays primary).
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(root, 'services/desk/dist/cli.js');
const home = mkdtempSync(join(tmpdir(), 'tickdesk-sentinel-desk-'));
const env: Record<string, string> = {};
let up: ChildProcess | undefined;
let apiPort = 0;
let redisPort = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const deskState = (): DeskStateFile => parseDeskState(readFileSync(join(home, 'desk.json'), 'utf8'))!;
const healthy = async () => (await fetch(`http://127.0.0.1:${apiPort}/health`, { signal: AbortSignal.timeout(3_000) })).ok;
const health = async () => (await (await fetch(`http://127.0.0.1:${apiPort}/health`, { signal: AbortSignal.timeout(3_000) })).json()) as { components: Record<string, { state: string }> };
const cli = (...args: string[]) => new Promise<string>((resolve) => execFile(process.execPath, [CLI, ...args], { cwd: root, env, timeout: 60_000 }, (_err, stdout, stderr) => resolve(stdout + stderr)));

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      if ((err as { fatal?: boolean }).fatal) throw err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${tail(join(home, 'up.log'), 20)}`);
    await sleep(200);
  }
}

/** `n` free ports in a row from a free one (the replica takes the Redis port + 1, the sentinels base + 0..2). */
async function freeRun(n: number, taken: number[]): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p + n > 65535) continue;
    const run = Array.from({ length: n }, (_, i) => p + i);
    if (run.some((q) => taken.includes(q))) continue;
    const free = await Promise.all(run.slice(1).map(async (q) => new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(q, '127.0.0.1', () => s.close(() => resolve(true)));
    })));
    if (free.every(Boolean)) return p;
  }
}

function startDesk(): void {
  up = spawn(process.execPath, [CLI, 'up'], { cwd: root, env, stdio: ['ignore', openSync(join(home, 'up.log'), 'a'), openSync(join(home, 'up.log'), 'a')], detached: true });
}
async function stopDesk(): Promise<void> {
  if (!up || up.exitCode !== null) return;
  const exited = new Promise((r) => up!.once('exit', r));
  up.kill('SIGTERM');
  const timer = setTimeout(() => { try { process.kill(-up!.pid!, 'SIGKILL'); } catch { /* gone */ } }, 30_000);
  await exited;
  clearTimeout(timer);
}

afterAll(async () => {
  await stopDesk();
  rmSync(home, { recursive: true, force: true });
});

describe('a Sentinel desk from tickdesk up', () => {
  it('shows its Redis parts, fails over when the primary hangs, and starts again on the promoted one', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx turbo run build)`);
    const ports: number[] = [];
    while (ports.length < 5) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    redisPort = await freeRun(2, ports);
    const sentinelPort = await freeRun(3, [...ports, redisPort, redisPort + 1]);
    apiPort = ports[0]!;
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('TICKDESK_') && !k.startsWith('VITEST')) env[k] = v;
    Object.assign(env, {
      TICKDESK_HOME: home, TICKDESK_API_PORT: String(ports[0]), TICKDESK_XMPP_PORT: String(ports[1]), TICKDESK_XMPP_TLS_PORT: String(ports[2]),
      TICKDESK_XMPP_HTTP_PORT: String(ports[3]), TICKDESK_XMPP_DIST_PORT: String(ports[4]), TICKDESK_FEED_RATE: '20', TICKDESK_LOG_LEVEL: 'info',
      TICKDESK_REDIS_MODE: 'sentinel', TICKDESK_REDIS_PORT: String(redisPort), TICKDESK_REDIS_SENTINEL_PORT: String(sentinelPort),
      TICKDESK_REDIS_DOWN_AFTER_MS: '2000',
    });
    startDesk();
    await until('the desk to be ready', 180_000, async () => {
      if (up!.exitCode !== null) throw Object.assign(new Error(`tickdesk up exited:\n${tail(join(home, 'up.log'), 30)}`), { fatal: true });
      return healthy();
    });

    const parts = ['redis', 'redis-replica', 'sentinel-1', 'sentinel-2', 'sentinel-3'];
    for (const p of parts) expect(deskState().parts[p]).toMatchObject({ state: 'running' });
    const components = (await health()).components;
    for (const p of ['redis-replica', 'sentinel-1', 'sentinel-2', 'sentinel-3']) expect(components[p]).toMatchObject({ state: 'running' });
    expect(await cli('status')).toContain(`redis primary: redis (127.0.0.1:${redisPort}), named by 3 of 3 sentinels`);

    // The primary hangs (kill -STOP): not an exit, so up does not restart it; the sentinels fail over.
    const primaryPid = deskState().parts.redis!.pid;
    const stoppedAt = Date.now();
    process.kill(primaryPid, 'SIGSTOP');
    try {
      await until('status to name the replica as primary', 30_000, async () => (await cli('status')).includes(`redis primary: redis-replica (127.0.0.1:${redisPort + 1})`));
    } finally {
      process.kill(primaryPid, 'SIGCONT');
    }
    const failoverMs = Date.now() - stoppedAt;
    await until('/health ok on the promoted primary', 30_000, healthy);
    console.log(JSON.stringify({ failoverSeenInStatusMs: failoverMs, healthyAfterMs: Date.now() - stoppedAt }));

    // Stopped and started again: the promoted server stays primary, provisioning writes to it.
    await stopDesk();
    startDesk();
    await until('the desk to be ready again', 180_000, async () => {
      if (up!.exitCode !== null) throw Object.assign(new Error(`tickdesk up exited:\n${tail(join(home, 'up.log'), 30)}`), { fatal: true });
      return healthy();
    });
    expect(await cli('status')).toContain(`redis primary: redis-replica (127.0.0.1:${redisPort + 1}), named by 3 of 3 sentinels`);
    expect(readFileSync(join(home, 'up.log'), 'utf8')).toContain(`Redis (Sentinel, AOF)    primary 127.0.0.1:${redisPort + 1}, replica :${redisPort}`);
  }, 400_000);
});
