import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { freePort, loginFor, redisUrl, tail, type RedisCredentials } from '@tickdesk/infra';
import { CHROMIUM } from '../support/browser.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(root, 'services/desk/dist/cli.js');
const DASHBOARD = join(root, 'ui/dist/index.html');
/** Synthetic ticks per second over the 8 default instruments: prices move every second or so, and the idle desk costs about a tenth of a core while the other projects run. */
const FEED_RATE = process.env.TICKDESK_E2E_FEED_RATE ?? '20';
const READY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 30_000;

export interface E2eAccount {
  user: string;
  password: string;
  role: string;
}

export interface E2eDesk {
  /** The API's origin: the dashboard at `/`, REST at `/v1`, XMPP over WebSocket at `/xmpp-websocket`. */
  baseUrl: string;
  domain: string;
  /** As the desk's `desk` Redis user (all td:* keys, no FLUSH). */
  redisUrl: string;
  home: string;
  credentialsPath: string;
  /** Every account of the desk's credentials file by user name (alice, bob: traders; carol: compliance; ana: analyst; admin…). */
  accounts: Record<string, E2eAccount>;
  ports: { api: number; xmpp: number; xmppTls: number; xmppHttp: number; xmppDist: number; redis: number };
  /** Which server the desk runs: the `e2e` project Prosody, `e2e-ejabberd` ejabberd. */
  xmppServer: 'prosody' | 'ejabberd';
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eDesk;
  }
}

let up: ChildProcess | undefined;
let home: string | undefined;
let exited: Promise<void> = Promise.resolve();

const alive = () => up !== undefined && up.exitCode === null && up.signalCode === null;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** If vitest exits without running teardown (Ctrl-C), the desk still gets its SIGTERM and stops itself. */
const onExit = () => {
  if (alive()) up!.kill('SIGTERM');
};

/**
 * A real desk, as `tickdesk up` runs it (Prosody, Redis, recorder, alerts, feed, API
 * serving the built dashboard), on free ports in a temporary TICKDESK_HOME: its own
 * ports and folder, so it never meets the integration project's private servers.
 */
export async function setup(project: TestProject): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
  if (!existsSync(DASHBOARD)) throw new Error(`${DASHBOARD} is missing: build the dashboard first (npm run build -w @tickdesk/ui)`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (npm test installs it as root)`);

  const xmppServer = project.name.endsWith('-ejabberd') ? 'ejabberd' : 'prosody';
  home = mkdtempSync(join(tmpdir(), `tickdesk-e2e-${xmppServer}-`));
  const ports = await distinctPorts(['api', 'xmpp', 'xmppTls', 'xmppHttp', 'xmppDist', 'redis'] as const);
  const env: Record<string, string> = {};
  // The desk reads only its own variables: none of the caller's TICKDESK_* (a developer's feed or home) leaks in.
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('TICKDESK_') && !k.startsWith('VITEST')) env[k] = v;
  Object.assign(env, {
    TICKDESK_HOME: home,
    TICKDESK_DOMAIN: 'desk.localhost',
    TICKDESK_XMPP_SERVER: xmppServer,
    TICKDESK_XMPP_DIST_PORT: String(ports.xmppDist),
    TICKDESK_API_PORT: String(ports.api),
    TICKDESK_XMPP_PORT: String(ports.xmpp),
    TICKDESK_XMPP_TLS_PORT: String(ports.xmppTls),
    TICKDESK_XMPP_HTTP_PORT: String(ports.xmppHttp),
    TICKDESK_REDIS_PORT: String(ports.redis),
    TICKDESK_FEED: 'synthetic',
    TICKDESK_FEED_RATE: FEED_RATE,
    TICKDESK_LOG_LEVEL: 'warn',
    // Several browsers and the tests log in over and over from 127.0.0.1.
    TICKDESK_API_LOGIN_RATE_MAX: '10000',
    TICKDESK_API_WRITE_RATE_MAX: '10000',
  });
  const logPath = join(home, 'up.log');
  const logFd = openSync(logPath, 'a');
  // Its own process group: a forced stop can reach the services and servers it started.
  up = spawn(process.execPath, [CLI, 'up'], { cwd: root, env, stdio: ['ignore', logFd, logFd], detached: true });
  exited = new Promise<void>((resolve) => up!.once('exit', () => resolve()));
  process.once('exit', onExit);

  const baseUrl = `http://127.0.0.1:${ports.api}`;
  try {
    await waitReady(baseUrl);
  } catch (err) {
    const logs = diagnostics(home, logPath);
    await stopDesk();
    if (!process.env.TICKDESK_KEEP_TEST_HOME) rmSync(home, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
  const credentialsPath = join(home, 'credentials.json');
  const { domain, accounts, redis } = JSON.parse(readFileSync(credentialsPath, 'utf8')) as { domain: string; accounts: Record<string, E2eAccount>; redis: RedisCredentials };
  project.provide('e2e', { baseUrl, domain, redisUrl: redisUrl(ports.redis, loginFor(redis, 'desk')), home, credentialsPath, accounts, ports, xmppServer });
}

export async function teardown(): Promise<void> {
  await stopDesk();
  if (home && !process.env.TICKDESK_KEEP_TEST_HOME) rmSync(home, { recursive: true, force: true });
}

/** /health answers 200 (XMPP, Redis, a recorded tick, the engine's heartbeat) and `/` serves the dashboard. */
async function waitReady(baseUrl: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`the desk (tickdesk up) exited (${up?.signalCode ?? up?.exitCode}) before it was ready`);
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

/** SIGTERM to `tickdesk up` (it stops its services, Prosody and Redis), then SIGKILL to its whole group. */
async function stopDesk(): Promise<void> {
  process.off('exit', onExit);
  if (!up || !alive()) return;
  up.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), STOP_TIMEOUT_MS)))]);
  clearTimeout(timer);
  if (!stopped && up.pid !== undefined) {
    try {
      process.kill(-up.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  }
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
  if (existsSync(logs)) for (const f of readdirSync(logs)) parts.push(`--- ${join(logs, f)}\n${tail(join(logs, f), 15)}`);
  for (const log of [join(dir, 'prosody', 'prosody.log'), join(dir, 'ejabberd', 'logs', 'ejabberd.log'), join(dir, 'ejabberd', 'logs', 'error.log')]) {
    if (existsSync(log)) parts.push(`--- ${log}\n${tail(log, 15)}`);
  }
  return parts.join('\n');
}
