import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireBinary } from './binaries.js';
import type { CertPaths } from './certs.js';
import { InfraError } from './errors.js';
import { startProcess, tail, type ManagedProcess } from './managed-process.js';
import { assertPortFree, waitForPort } from './ports.js';
import { luaList, renderFile } from './template.js';

const execFileP = promisify(execFile);
const TEMPLATE = new URL('../prosody/prosody.cfg.lua.tmpl', import.meta.url);

export interface ProsodyOptions {
  /** Folder for the rendered config, log, pidfile and data. */
  dir: string;
  domain: string;
  c2sPort: number;
  c2sDirectTlsPort: number;
  httpPort: number;
  certs: CertPaths;
  /** Bare JIDs that administer the server (XEP-0133 ad-hoc commands). */
  admins: readonly string[];
  /** Bare JIDs that own every node of the pubsub service (they create and configure nodes). */
  pubsubAdmins: readonly string[];
  /** Bare JIDs exempt from client rate limits (service accounts). */
  unlimited: readonly string[];
  pubsubMaxItems?: number;
  /** Failed logins before an address or account is locked, and for how long (mod_tickdesk_auth_limit). */
  authLimit?: Partial<AuthLimit>;
  /** Page origins that may open /xmpp-websocket directly (default none: browsers come through the API). */
  websocketOrigins?: readonly string[];
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface AuthLimit {
  /** Failed logins from one address within `windowS` that lock the address (default 10). */
  ipMax: number;
  /** Failed logins for one account within `windowS` that lock the account (default 20). */
  accountMax: number;
  windowS: number;
  /** How long a locked address or account is refused, seconds (default 300). */
  lockoutS: number;
  /** Addresses never locked as addresses (default loopback: the desk's own processes). */
  exemptIps: readonly string[];
}

export const DEFAULT_AUTH_LIMIT: AuthLimit = { ipMax: 10, accountMax: 20, windowS: 300, lockoutS: 300, exemptIps: ['127.0.0.1', '::1'] };

export interface ProsodyServer {
  readonly domain: string;
  readonly pubsubHost: string;
  readonly c2sPort: number;
  readonly httpPort: number;
  readonly configPath: string;
  readonly process: ManagedProcess;
  /** Create or reset an account directly in storage (bootstrap accounts only). */
  register(user: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

export function renderProsodyConfig(opts: ProsodyOptions): string {
  return renderFile(TEMPLATE, {
    dir: opts.dir,
    domain: opts.domain,
    pubsubHost: `pubsub.${opts.domain}`,
    c2sPort: opts.c2sPort,
    c2sDirectTlsPort: opts.c2sDirectTlsPort,
    httpPort: opts.httpPort,
    certDir: opts.certs.dir,
    serverAdmins: luaList(opts.admins),
    pubsubAdmins: luaList(opts.pubsubAdmins),
    unlimitedJids: luaList(opts.unlimited),
    pubsubMaxItems: opts.pubsubMaxItems ?? 1000,
    ...authLimitVars({ ...DEFAULT_AUTH_LIMIT, ...opts.authLimit }),
    websocketOrigins: luaList(opts.websocketOrigins ?? []),
    pluginDir: fileURLToPath(new URL('../prosody/modules', import.meta.url)),
    logLevel: opts.logLevel ?? 'info',
  });
}

function authLimitVars(l: AuthLimit) {
  for (const n of [l.ipMax, l.accountMax, l.windowS, l.lockoutS]) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`auth limit values must be positive integers, got ${n}`);
  }
  return { authIpMax: l.ipMax, authAccountMax: l.accountMax, authWindowS: l.windowS, authLockoutS: l.lockoutS, authExemptIps: luaList(l.exemptIps) };
}

/** Write the config for `opts` and return its path (used by start and by prosodyctl). */
export function writeProsodyConfig(opts: ProsodyOptions): string {
  mkdirSync(join(opts.dir, 'data'), { recursive: true });
  const configPath = join(opts.dir, 'prosody.cfg.lua');
  writeFileSync(configPath, renderProsodyConfig(opts));
  return configPath;
}

export async function registerAccount(configPath: string, domain: string, user: string, password: string): Promise<void> {
  const prosodyctl = requireBinary('prosodyctl', 'prosody');
  try {
    await execFileP(prosodyctl, ['--config', configPath, 'register', user, domain, password]);
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new InfraError('TICKDESK_INFRA_COMMAND_FAILED', `prosodyctl register ${user}@${domain} failed: ${e.stderr || e.stdout || String(err)}`);
  }
}

/** Start a private Prosody from a rendered config on loopback ports. */
export async function startProsody(opts: ProsodyOptions): Promise<ProsodyServer> {
  const bin = requireBinary('prosody', 'prosody');
  await assertPortFree(opts.c2sPort, 'XMPP client connections', 'TICKDESK_XMPP_PORT');
  await assertPortFree(opts.c2sDirectTlsPort, 'XMPP direct TLS', 'TICKDESK_XMPP_TLS_PORT');
  await assertPortFree(opts.httpPort, 'XMPP WebSocket/HTTP', 'TICKDESK_XMPP_HTTP_PORT');
  const configPath = writeProsodyConfig(opts);
  const proc = startProcess(bin, ['-F', '--config', configPath]);
  try {
    await waitForPort(opts.c2sPort, 20_000, proc.alive);
    await waitForPort(opts.httpPort, 5_000, proc.alive);
  } catch (err) {
    await proc.stop();
    throw new InfraError(
      'TICKDESK_INFRA_START_FAILED',
      `Prosody did not start: ${(err as Error).message}\n${tail(join(opts.dir, 'prosody.log'))}`,
    );
  }
  return {
    domain: opts.domain,
    pubsubHost: `pubsub.${opts.domain}`,
    c2sPort: opts.c2sPort,
    httpPort: opts.httpPort,
    configPath,
    process: proc,
    register: (user, password) => registerAccount(configPath, opts.domain, user, password),
    stop: () => proc.stop(),
  };
}
