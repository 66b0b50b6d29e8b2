import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, tail } from '@tickdesk/infra';
import { parseDeskState, type DeskStateFile } from '@tickdesk/schemas';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(root, 'services/desk/dist/cli.js');
/** Node i of a desk uses each XMPP port + (i-1)·STEP (services/desk/src/config.ts). */
const STEP = 100;
const STOP_TIMEOUT_MS = 30_000;

export interface ClusterDesk {
  home: string;
  apiUrl: string;
  ports: {
    api: number;
    xmpp: number;
    xmppTls: number;
    xmppHttp: number;
    xmppDist: number;
    redis: number;
    sentinel: number;
  };
  /** Each node's client port (node 1 first). */
  c2sPorts: number[];
  state(): DeskStateFile;
  credentials(): {
    accounts: Record<string, { user: string; password: string; role: string }>;
    redis: { users: Record<string, string> };
  };
  ca(): string;
  alive(): boolean;
  diagnostics(): string;
  /** Stops the desk; its folder is removed unless `keep` (or TICKDESK_KEEP_TEST_HOME) says to keep its logs. */
  stop(keep?: boolean): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port p with p + k·step free for every k < count (and p − 1 too when `below`: a cluster's epmd). */
export async function steppedPort(count: number, taken: Set<number>, below = false, step = STEP): Promise<number> {
  for (;;) {
    const p = await freePort();
    const all = Array.from({ length: count }, (_, k) => p + k * step);
    if (below) all.push(p - 1);
    if (all.some((q) => q > 65535 || q < 1024 || taken.has(q))) continue;
    if ((await Promise.all(all.map(portFree))).every(Boolean)) {
      all.forEach((q) => taken.add(q));
      return p;
    }
  }
}

/**
 * `tickdesk up` from the built code in dist/ with `nodes` ejabberd nodes (or one Prosody,
 * `xmppServer: 'prosody'`), Redis single or in Sentinel mode (`redisMode`), in a temporary
 * TICKDESK_HOME on free ports (each node's ports free too, and in Sentinel mode the
 * replica's port + 1 and the three sentinels' ports), in its own process group so a
 * forced stop reaches everything it started. Resolves once /health answers 200.
 */
export async function startClusterDesk({
  nodes,
  xmppServer = 'ejabberd',
  redisMode = 'single',
  env: extra = {},
  readyTimeoutMs = 180_000,
  keepOnFailure = false,
}: {
  nodes: number;
  xmppServer?: 'ejabberd' | 'prosody';
  redisMode?: 'single' | 'sentinel';
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** A desk that does not start keeps its folder (logs, desk.json) for the report. */
  keepOnFailure?: boolean;
}): Promise<ClusterDesk> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx turbo run build)`);
  const home = mkdtempSync(join(tmpdir(), `tickdesk-desk-${xmppServer}-${nodes}-`));
  const taken = new Set<number>();
  const sentinel = redisMode === 'sentinel';
  const ports = {
    xmpp: await steppedPort(nodes, taken),
    xmppTls: await steppedPort(nodes, taken),
    xmppHttp: await steppedPort(nodes, taken),
    xmppDist: await steppedPort(nodes, taken, true),
    redis: await steppedPort(sentinel ? 2 : 1, taken, false, 1),
    api: await steppedPort(1, taken),
    /** The first of the three sentinels' ports (0 when Redis is single). */
    sentinel: sentinel ? await steppedPort(3, taken, false, 1) : 0,
  };
  // The services' metrics ports too: left to `up`, each is a port free when it starts,
  // which can be one of the ports above not yet bound (a sentinel's, a node's).
  const metrics = {
    feed: await steppedPort(1, taken),
    recorder: await steppedPort(1, taken),
    alerts: await steppedPort(1, taken),
  };
  const env: Record<string, string> = {};
  // The desk reads only its own variables: none of the caller's TICKDESK_* leaks in.
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('TICKDESK_') && !k.startsWith('VITEST')) env[k] = v;
  Object.assign(env, {
    TICKDESK_HOME: home,
    TICKDESK_DOMAIN: 'desk.localhost',
    TICKDESK_XMPP_SERVER: xmppServer,
    TICKDESK_XMPP_NODES: String(nodes),
    TICKDESK_REDIS_MODE: redisMode,
    ...(sentinel ? { TICKDESK_REDIS_SENTINEL_PORT: String(ports.sentinel) } : {}),
    TICKDESK_FEED_METRICS_PORT: String(metrics.feed),
    TICKDESK_RECORDER_METRICS_PORT: String(metrics.recorder),
    TICKDESK_ALERTS_METRICS_PORT: String(metrics.alerts),
    TICKDESK_API_PORT: String(ports.api),
    TICKDESK_XMPP_PORT: String(ports.xmpp),
    TICKDESK_XMPP_TLS_PORT: String(ports.xmppTls),
    TICKDESK_XMPP_HTTP_PORT: String(ports.xmppHttp),
    TICKDESK_XMPP_DIST_PORT: String(ports.xmppDist),
    TICKDESK_REDIS_PORT: String(ports.redis),
    TICKDESK_FEED: 'synthetic',
    TICKDESK_LOG_LEVEL: 'info',
    ...extra,
  });
  const logPath = join(home, 'up.log');
  const up: ChildProcess = spawn(process.execPath, [CLI, 'up'], {
    cwd: root,
    env,
    stdio: ['ignore', openSync(logPath, 'a'), openSync(logPath, 'a')],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => up.once('exit', () => resolve()));
  const alive = () => up.exitCode === null && up.signalCode === null;
  const onExit = () => {
    if (alive() && up.pid) process.kill(-up.pid, 'SIGKILL');
  };
  process.once('exit', onExit);

  const diagnostics = () => {
    const parts = [`--- ${logPath}\n${tail(logPath, 40)}`];
    const logs = join(home, 'logs');
    if (existsSync(logs)) for (const f of readdirSync(logs)) parts.push(`--- ${f}\n${tail(join(logs, f), 15)}`);
    return parts.join('\n');
  };
  const stop = async (keep = false) => {
    process.off('exit', onExit);
    if (alive()) {
      up.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
      if (!stopped && up.pid) {
        try {
          process.kill(-up.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await exited;
      }
    }
    if (keep || process.env.TICKDESK_KEEP_TEST_HOME) process.stderr.write(`desk folder kept: ${home}\n`);
    else rmSync(home, { recursive: true, force: true });
  };

  const apiUrl = `http://127.0.0.1:${ports.api}`;
  const deadline = Date.now() + readyTimeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (!alive()) {
      const d = diagnostics();
      await stop(keepOnFailure);
      throw new Error(`tickdesk up exited (${up.signalCode ?? up.exitCode}) before the desk was ready\n${d}`);
    }
    try {
      const res = await fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(3_000) });
      if (res.ok) break;
      last = `/health ${res.status}: ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      const d = diagnostics();
      await stop(keepOnFailure);
      throw new Error(`the desk was not ready within ${readyTimeoutMs / 1000} s: ${last}\n${d}`);
    }
    await sleep(500);
  }
  return {
    home,
    apiUrl,
    ports,
    c2sPorts: Array.from({ length: nodes }, (_, k) => ports.xmpp + k * STEP),
    state: () => parseDeskState(readFileSync(join(home, 'desk.json'), 'utf8'))!,
    credentials: () =>
      JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as ReturnType<ClusterDesk['credentials']>,
    ca: () => readFileSync(join(home, 'certs', 'ca.crt'), 'utf8'),
    alive,
    diagnostics,
    stop,
  };
}
