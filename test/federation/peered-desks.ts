import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { ensureCertificates, freePort, tail, type XmppServerKind } from '@tickdesk/infra';
import type { FederationPeer } from '@tickdesk/schemas';
import { createXmppClient, presence, type XmppClient } from '@tickdesk/xmpp';
import { steppedPort } from '../cluster/cluster-desk.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(root, 'services/desk/dist/cli.js');
const WATCHDOG = fileURLToPath(new URL('../e2e/desk-watchdog.mjs', import.meta.url));
const STOP_TIMEOUT_MS = 30_000;
const log = pino({ level: process.env.TICKDESK_TEST_LOG ?? 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each port of a desk and the variable that sets it: all on 127.0.0.1, all free when the pair starts. */
const PORT_VARS = {
  api: 'TICKDESK_API_PORT',
  xmpp: 'TICKDESK_XMPP_PORT',
  xmppTls: 'TICKDESK_XMPP_TLS_PORT',
  xmppHttp: 'TICKDESK_XMPP_HTTP_PORT',
  xmppDist: 'TICKDESK_XMPP_DIST_PORT',
  redis: 'TICKDESK_REDIS_PORT',
  s2s: 'TICKDESK_S2S_PORT',
  feedMetrics: 'TICKDESK_FEED_METRICS_PORT',
  recorderMetrics: 'TICKDESK_RECORDER_METRICS_PORT',
  alertsMetrics: 'TICKDESK_ALERTS_METRICS_PORT',
} as const;
type PortName = keyof typeof PORT_VARS;

/** One desk of a peered pair: `tickdesk up` (from the build) in its own folder on free ports. */
export interface PeeredDesk {
  readonly domain: string;
  readonly home: string;
  readonly apiUrl: string;
  readonly ports: Readonly<Record<PortName, number>>;
  /** The desk's CA certificate (made before the first start, so the peer can trust it). */
  readonly caPath: string;
  /** Its TICKDESK_PEERS_FILE. */
  readonly peersFile: string;
  /** Which XMPP server the desk runs (default Prosody). */
  readonly xmppServer: XmppServerKind;
  /** The XMPP server's main log (Prosody's, or ejabberd's ejabberd.log). */
  readonly xmppLog: string;
  /** This desk as a peer entry in the other desk's peers file. */
  asPeer(): FederationPeer;
  account(user: string): { user: string; password: string };
  /** A REST token of one of the desk's accounts (POST /v1/auth/token with its password). */
  apiToken(user: string): Promise<string>;
  /** A session of one of the desk's accounts, available (initial presence sent), on XMPP node `node` (default 1). */
  connect(user: string, resource?: string, node?: number): Promise<XmppClient>;
  /** Rewrites the peers file; takes effect at the next start. */
  setPeers(peers: readonly FederationPeer[]): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  diagnostics(): string;
}

/** Each XMPP node i > 1 of a desk uses node 1's ports + (i-1)·100, its s2s port too (services/desk/src/config.ts). */
const NODE_PORTS: ReadonlySet<PortName> = new Set(['xmpp', 'xmppTls', 'xmppHttp', 'xmppDist', 's2s']);

async function distinctFreePorts(taken: Set<number>, nodes = 1): Promise<Record<PortName, number>> {
  const out = {} as Record<PortName, number>;
  for (const name of Object.keys(PORT_VARS) as PortName[]) {
    // A cluster's epmd listens on the distribution port − 1.
    if (nodes > 1 && NODE_PORTS.has(name)) {
      out[name] = await steppedPort(nodes, taken, name === 'xmppDist');
      continue;
    }
    let p = await freePort();
    while (taken.has(p)) p = await freePort();
    taken.add(p);
    out[name] = p;
  }
  return out;
}

function createDesk(
  domain: string,
  ports: Record<PortName, number>,
  env: Record<string, string>,
  xmppServer: XmppServerKind = 'prosody',
): PeeredDesk {
  const home = mkdtempSync(join(tmpdir(), `tickdesk-federation-${domain.split('.')[0]}-`));
  // What `up` would make at its first start, made now: each desk's peers file names the other's CA.
  const certs = ensureCertificates(join(home, 'certs'), domain);
  const peersFile = join(home, 'peers.json');
  const logPath = join(home, 'up.log');
  let up: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const alive = () => up !== undefined && up.exitCode === null && up.signalCode === null;
  const killGroup = () => {
    if (alive() && up?.pid) process.kill(-up.pid, 'SIGKILL');
  };
  const credentials = () =>
    JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as {
      accounts: Record<string, { user: string; password: string }>;
    };
  const desk: PeeredDesk = {
    domain,
    home,
    apiUrl: `http://127.0.0.1:${ports.api}`,
    ports,
    caPath: certs.caCert,
    peersFile,
    xmppServer,
    xmppLog:
      xmppServer === 'ejabberd' ? join(home, 'ejabberd', 'logs', 'ejabberd.log') : join(home, 'prosody', 'prosody.log'),
    asPeer: () => ({ domain, host: '127.0.0.1', port: ports.s2s, ca: certs.caCert }),
    account(user) {
      const a = credentials().accounts[user];
      if (!a) throw new Error(`no account ${user} on ${domain}`);
      return a;
    },
    async apiToken(user) {
      const res = await fetch(`${desk.apiUrl}/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ password: desk.account(user).password, jid: `${user}@${domain}` }),
      });
      if (res.status !== 200) throw new Error(`${user}@${domain} got no token: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    },
    async connect(user, resource = `federation-${user}`, node = 1) {
      const client = createXmppClient({
        service: `xmpp://127.0.0.1:${ports.xmpp + (node - 1) * 100}`,
        domain,
        username: user,
        password: desk.account(user).password,
        ca: readFileSync(certs.caCert, 'utf8'),
        log,
        resource,
      });
      await client.start();
      await client.send(presence('available'));
      return client;
    },
    setPeers: (peers) => writeFileSync(peersFile, JSON.stringify(peers, null, 2) + '\n'),
    async start() {
      // The desk reads only its own variables: none of the caller's TICKDESK_* (or vitest's) leaks in.
      const inherited = Object.entries(process.env).filter(
        (e): e is [string, string] => e[1] !== undefined && !/^(TICKDESK_|VITEST)/.test(e[0]),
      );
      const childEnv = {
        ...Object.fromEntries(inherited),
        ...Object.fromEntries(Object.entries(PORT_VARS).map(([name, v]) => [v, String(ports[name as PortName])])),
        TICKDESK_HOME: home,
        TICKDESK_DOMAIN: domain,
        TICKDESK_XMPP_SERVER: xmppServer,
        TICKDESK_PEERS_FILE: peersFile,
        TICKDESK_FEED: 'synthetic',
        TICKDESK_LOG_LEVEL: 'info',
        ...env,
      };
      const fd = openSync(logPath, 'a');
      const child = spawn(process.execPath, [CLI, 'up'], {
        cwd: root,
        env: childEnv,
        stdio: ['ignore', fd, fd],
        detached: true,
      });
      closeSync(fd);
      up = child;
      exited = new Promise((resolve) => child.once('exit', () => resolve()));
      process.once('exit', killGroup);
      // Stops the desk if this test process dies without stopping it (Ctrl-C, a crash).
      spawn(process.execPath, [WATCHDOG, String(process.pid), String(child.pid), String(STOP_TIMEOUT_MS)], {
        stdio: 'ignore',
        detached: true,
      }).unref();
      await waitHealthy(desk, alive);
    },
    async stop() {
      process.off('exit', killGroup);
      if (!alive() || !up) return;
      up.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
      if (!stopped) {
        killGroup();
        await exited;
      }
    },
    diagnostics() {
      const parts = [`--- ${logPath}\n${tail(logPath, 30)}`];
      const logs = join(home, 'logs');
      if (existsSync(logs)) for (const f of readdirSync(logs)) parts.push(`--- ${f}\n${tail(join(logs, f), 10)}`);
      parts.push(`--- ${desk.xmppLog}\n${tail(desk.xmppLog, 30)}`);
      return parts.join('\n');
    },
  };
  return desk;
}

async function waitHealthy(desk: PeeredDesk, alive: () => boolean, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`tickdesk up of ${desk.domain} exited before it was ready\n${desk.diagnostics()}`);
    try {
      const res = await fetch(`${desk.apiUrl}/health`, { signal: AbortSignal.timeout(3_000) });
      if (res.ok) return;
      last = `/health ${res.status}: ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(500);
  }
  throw new Error(`${desk.domain} was not ready within ${timeoutMs / 1000} s: ${last}\n${desk.diagnostics()}`);
}

export interface PeeredDesks {
  a: PeeredDesk;
  b: PeeredDesk;
  /** Stops both; their folders are removed unless `keep` or TICKDESK_KEEP_TEST_HOME. */
  stop(keep?: boolean): Promise<void>;
}

/**
 * Two desks, `a` and `b` (default desk.localhost and deskb.localhost), each started by
 * `tickdesk up` from the build in its own temporary folder on free ports, peered both ways:
 * each one's peers file routes the other's domain to its s2s port and trusts its CA.
 * `env` adds settings to either desk (a feed rate, say); `servers` picks either desk's XMPP
 * server (default Prosody for both), `nodes` desk a's count of ejabberd nodes (TICKDESK_XMPP_NODES,
 * default 1; each node's ports free). Started one after the other (the
 * machine has two cores); both are stopped if either fails to start.
 */
export async function startPeeredDesks(
  opts: {
    domains?: [string, string];
    env?: { a?: Record<string, string>; b?: Record<string, string> };
    servers?: { a?: XmppServerKind; b?: XmppServerKind };
    nodes?: { a?: number };
  } = {},
): Promise<PeeredDesks> {
  const [da, db] = opts.domains ?? ['desk.localhost', 'deskb.localhost'];
  const taken = new Set<number>();
  const nodesA = opts.nodes?.a ?? 1;
  const envA = { ...(nodesA > 1 ? { TICKDESK_XMPP_NODES: String(nodesA) } : {}), ...opts.env?.a };
  const a = createDesk(da, await distinctFreePorts(taken, nodesA), envA, opts.servers?.a);
  const b = createDesk(db, await distinctFreePorts(taken), opts.env?.b ?? {}, opts.servers?.b);
  a.setPeers([b.asPeer()]);
  b.setPeers([a.asPeer()]);
  const stop = async (keep = false) => {
    await Promise.all([a.stop(), b.stop()]);
    if (keep || process.env.TICKDESK_KEEP_TEST_HOME) process.stderr.write(`desk folders kept: ${a.home} ${b.home}\n`);
    else for (const d of [a, b]) rmSync(d.home, { recursive: true, force: true });
  };
  try {
    await a.start();
    await b.start();
  } catch (err) {
    await stop(true);
    throw err;
  }
  return { a, b, stop };
}
