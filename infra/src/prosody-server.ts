import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireBinary } from './binaries.js';
import { InfraError } from './errors.js';
import { startProcess, tail } from './managed-process.js';
import { assertPortFree, waitForPort } from './ports.js';
import { prosodyFederationVars } from './prosody-federation.js';
import { luaList, renderFile } from './template.js';
import {
  authLimitValues,
  type AuthLimit,
  type XmppServer,
  type XmppServerControl,
  type XmppServerOptions,
} from './xmpp-server.js';

const execFileP = promisify(execFile);
const TEMPLATE = new URL('../prosody/prosody.cfg.lua.tmpl', import.meta.url);

export type ProsodyOptions = XmppServerOptions;

/** A running Prosody. */
export type ProsodyServer = XmppServer;

/** With peers, also writes the s2s CA bundle it names (`<dir>/s2s/`). */
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
    ...authLimitVars(authLimitValues(opts.authLimit)),
    websocketOrigins: luaList(opts.websocketOrigins ?? []),
    pluginDir: fileURLToPath(new URL('../prosody/modules', import.meta.url)),
    logLevel: opts.logLevel ?? 'info',
    ...prosodyFederationVars(opts.dir, opts.certs, opts.federation),
  });
}

function authLimitVars(l: AuthLimit) {
  return {
    authIpMax: l.ipMax,
    authAccountMax: l.accountMax,
    authWindowS: l.windowS,
    authLockoutS: l.lockoutS,
    authExemptIps: luaList(l.exemptIps),
  };
}

/** Write the config for `opts` and return its path (used by start and by prosodyctl). */
export function writeProsodyConfig(opts: ProsodyOptions): string {
  mkdirSync(join(opts.dir, 'data'), { recursive: true });
  const configPath = join(opts.dir, 'prosody.cfg.lua');
  writeFileSync(configPath, renderProsodyConfig(opts));
  return configPath;
}

export async function registerAccount(
  configPath: string,
  domain: string,
  user: string,
  password: string,
): Promise<void> {
  const prosodyctl = requireBinary('prosodyctl', 'prosody');
  try {
    await execFileP(prosodyctl, ['--config', configPath, 'register', user, domain, password]);
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new InfraError(
      'TICKDESK_INFRA_COMMAND_FAILED',
      `prosodyctl register ${user}@${domain} failed: ${e.stderr || e.stdout || String(err)}`,
    );
  }
}

/** Start a private Prosody from a rendered config on loopback ports. */
export async function startProsody(opts: ProsodyOptions): Promise<ProsodyServer> {
  const bin = requireBinary('prosody', 'prosody');
  await assertPortFree(opts.c2sPort, 'XMPP client connections', 'TICKDESK_XMPP_PORT');
  await assertPortFree(opts.c2sDirectTlsPort, 'XMPP direct TLS', 'TICKDESK_XMPP_TLS_PORT');
  await assertPortFree(opts.httpPort, 'XMPP WebSocket/HTTP', 'TICKDESK_XMPP_HTTP_PORT');
  if (opts.federation?.peers.length)
    await assertPortFree(opts.federation.s2sPort, 'XMPP server-to-server links', 'TICKDESK_S2S_PORT');
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
    kind: 'prosody',
    domain: opts.domain,
    pubsubHost: `pubsub.${opts.domain}`,
    c2sPort: opts.c2sPort,
    httpPort: opts.httpPort,
    configPath,
    logPath: join(opts.dir, 'prosody.log'),
    pidPath: join(opts.dir, 'prosody.pid'),
    process: proc,
    serverPid: () => proc.pid,
    register: (user, password) => registerAccount(configPath, opts.domain, user, password),
    stop: () => proc.stop(),
  };
}

/**
 * Prosody behind the common control: bootstrap accounts are written to its storage with
 * prosodyctl before it starts (and again before a restart, which resets their passwords
 * to the credentials file's).
 */
export function prosodyControl(opts: ProsodyOptions): XmppServerControl {
  return {
    kind: 'prosody',
    logPath: join(opts.dir, 'prosody.log'),
    async start(accounts = []) {
      const configPath = writeProsodyConfig(opts);
      for (const [user, password] of accounts) await registerAccount(configPath, opts.domain, user, password);
      return startProsody(opts);
    },
  };
}
