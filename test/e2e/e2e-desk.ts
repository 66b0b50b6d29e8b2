import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, tail } from '@tickdesk/infra';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(root, 'services/desk/dist/cli.js');
const WATCHDOG = fileURLToPath(new URL('./desk-watchdog.mjs', import.meta.url));
/** Synthetic ticks per second over the 8 default instruments: prices move every second or so. */
const FEED_RATE = process.env.TICKDESK_E2E_FEED_RATE ?? '20';
/** Below the e2e projects' hook timeout (180 s), so a desk that never gets ready fails with its logs. */
const READY_TIMEOUT_MS = 150_000;
const STOP_TIMEOUT_MS = 30_000;

export type E2ePorts = {
  api: number;
  xmpp: number;
  xmppTls: number;
  xmppHttp: number;
  xmppDist: number;
  redis: number;
};

/** What the global setup provides: the desk's folder and server, and the vitest run the desk must not outlive. */
export interface E2eSetup {
  home: string;
  xmppServer: 'prosody' | 'ejabberd';
  /** The vitest process (the global setup's): when it is gone, the watchdog stops the desk. */
  runner: number;
  /** The project's test files: the desk stops when that many have finished (a filtered run never gets there; its teardown stops it). */
  files: number;
}

/** What the file that started the desk wrote into its folder for the files after it (`e2e-desk.json`). */
export type E2eDeskState = { pid: number; baseUrl: string; ports: E2ePorts } | { failed: string };

const stateFile = (home: string) => join(home, 'e2e-desk.json');
const doneFile = (home: string) => join(home, 'e2e-files-done');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readState(home: string): E2eDeskState | undefined {
  return existsSync(stateFile(home)) ? (JSON.parse(readFileSync(stateFile(home), 'utf8')) as E2eDeskState) : undefined;
}

/**
 * The project's desk, started by its first file: `tickdesk up` from the build (the XMPP
 * server, Redis, recorder, alerts, feed, API serving the built dashboard) on ports free
 * now, in the folder the global setup made. Started here rather than in the global setup,
 * which vitest runs for every project before the first test: the desk then neither idles
 * through the other projects' runs nor holds ports chosen minutes before it binds them.
 * Later files of the project find it running; a desk that failed fails them at once.
 */
export async function ensureDesk(opts: E2eSetup): Promise<{ baseUrl: string; ports: E2ePorts }> {
  const known = readState(opts.home);
  if (known && 'failed' in known) throw new Error(`the e2e desk did not start: ${known.failed}`);
  if (known) {
    if (!alive(known.pid))
      throw new Error(
        `the e2e desk (pid ${known.pid}) has exited: ${join(opts.home, 'up.log')}\n${tail(join(opts.home, 'up.log'), 20)}`,
      );
    return known;
  }
  const ports = await distinctPorts(['api', 'xmpp', 'xmppTls', 'xmppHttp', 'xmppDist', 'redis'] as const);
  const env: Record<string, string> = {};
  // The desk reads only its own variables: none of the caller's TICKDESK_* (a developer's feed or home) leaks in.
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('TICKDESK_') && !k.startsWith('VITEST')) env[k] = v;
  Object.assign(env, {
    TICKDESK_HOME: opts.home,
    TICKDESK_DOMAIN: 'desk.localhost',
    TICKDESK_XMPP_SERVER: opts.xmppServer,
    TICKDESK_API_PORT: String(ports.api),
    TICKDESK_XMPP_PORT: String(ports.xmpp),
    TICKDESK_XMPP_TLS_PORT: String(ports.xmppTls),
    TICKDESK_XMPP_HTTP_PORT: String(ports.xmppHttp),
    TICKDESK_XMPP_DIST_PORT: String(ports.xmppDist),
    TICKDESK_REDIS_PORT: String(ports.redis),
    TICKDESK_FEED: 'synthetic',
    TICKDESK_FEED_RATE: FEED_RATE,
    TICKDESK_LOG_LEVEL: 'warn',
    // Several browsers and the tests log in over and over from 127.0.0.1.
    TICKDESK_API_LOGIN_RATE_MAX: '10000',
    TICKDESK_API_WRITE_RATE_MAX: '10000',
  });
  const logPath = join(opts.home, 'up.log');
  const logFd = openSync(logPath, 'a');
  // Its own process group, outliving this file's worker; the global teardown stops it, and
  // the watchdog does if the vitest run itself dies first (Ctrl-C, kill).
  const up = spawn(process.execPath, [CLI, 'up'], { cwd: root, env, stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  up.unref();
  const pid = up.pid!;
  spawn(process.execPath, [WATCHDOG, String(opts.runner), String(pid), String(STOP_TIMEOUT_MS)], {
    stdio: 'ignore',
    detached: true,
  }).unref();
  const baseUrl = `http://127.0.0.1:${ports.api}`;
  try {
    await waitReady(baseUrl, pid);
  } catch (err) {
    const failed = `${(err as Error).message}\n${diagnostics(opts.home, logPath)}`;
    writeFileSync(stateFile(opts.home), JSON.stringify({ failed }));
    await stopDesk(opts.home, pid);
    throw new Error(failed);
  }
  const state = { pid, baseUrl, ports };
  writeFileSync(stateFile(opts.home), JSON.stringify(state));
  return state;
}

/** SIGTERM to `tickdesk up` (it stops its services and servers), then SIGKILL to its whole group. */
export async function stopDesk(home: string, pid?: number): Promise<void> {
  if (pid === undefined) {
    const s = readState(home);
    if (!s || !('pid' in s)) return;
    pid = s.pid;
  }
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is gone
  }
}

/**
 * After each file: once the project's last file has finished, the desk stops instead of
 * idling through the later projects' runs. A later run in the same folder (watch mode)
 * starts a new one.
 */
export async function fileDone(opts: E2eSetup): Promise<void> {
  const done = (existsSync(doneFile(opts.home)) ? Number(readFileSync(doneFile(opts.home), 'utf8')) : 0) + 1;
  writeFileSync(doneFile(opts.home), String(done));
  if (done < opts.files) return;
  await stopDesk(opts.home);
  rmSync(stateFile(opts.home), { force: true });
  rmSync(doneFile(opts.home), { force: true });
}

/** /health answers 200 (XMPP, Redis, a recorded tick, the engine's heartbeat) and `/` serves the dashboard. */
async function waitReady(baseUrl: string, pid: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (!alive(pid)) throw new Error('the desk (tickdesk up) exited before it was ready');
    try {
      const health = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(5_000) });
      last = `/health ${health.status}: ${await health.text()}`;
      if (health.ok) {
        const page = await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(5_000) });
        const html = await page.text();
        if (page.ok && /<html/i.test(html)) return;
        last = `/ answered ${page.status} (${page.headers.get('content-type')}): the API does not serve the dashboard`;
      }
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(500);
  }
  throw new Error(`the desk was not ready within ${READY_TIMEOUT_MS / 1000} s: ${last}`);
}

async function distinctPorts<K extends string>(names: readonly K[]): Promise<Record<K, number>> {
  const taken = new Set<number>();
  const out = {} as Record<K, number>;
  for (const name of names) {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    out[name] = port;
  }
  return out;
}

function diagnostics(dir: string, logPath: string): string {
  const parts = [`--- ${logPath}\n${tail(logPath, 30)}`];
  const logs = join(dir, 'logs');
  if (existsSync(logs))
    for (const f of readdirSync(logs)) parts.push(`--- ${join(logs, f)}\n${tail(join(logs, f), 15)}`);
  for (const log of [
    join(dir, 'prosody', 'prosody.log'),
    join(dir, 'ejabberd', 'logs', 'ejabberd.log'),
    join(dir, 'ejabberd', 'logs', 'error.log'),
  ]) {
    if (existsSync(log)) parts.push(`--- ${log}\n${tail(log, 15)}`);
  }
  return parts.join('\n');
}

export function removeHome(home: string): void {
  if (!process.env.TICKDESK_KEEP_TEST_HOME) rmSync(home, { recursive: true, force: true });
}
