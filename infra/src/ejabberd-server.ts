import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';
import { requireBinary } from './binaries.js';
import { InfraError } from './errors.js';
import { startProcess, tail } from './managed-process.js';
import { assertPortFree, waitForPort } from './ports.js';
import { renderFile } from './template.js';
import { authLimitValues, type XmppServer, type XmppServerControl, type XmppServerOptions } from './xmpp-server.js';

const execFileP = promisify(execFile);
const TEMPLATE = new URL('../ejabberd/ejabberd.yml.tmpl', import.meta.url);
/** Debian's ejabberd runs as this user; ejabberdctl refuses any other but root. */
const EJABBERD_USER = 'ejabberd';

export type EjabberdOptions = XmppServerOptions & { distPort: number };

/** Where one node keeps what: config (`dir`), Mnesia spool, SQLite, logs, pidfile. */
export function ejabberdPaths(dir: string) {
  return {
    config: join(dir, 'ejabberd.yml'),
    ctlConfig: join(dir, 'ejabberdctl.cfg'),
    spool: join(dir, 'spool'),
    sql: join(dir, 'sql'),
    logs: join(dir, 'logs'),
    log: join(dir, 'logs', 'ejabberd.log'),
    errorLog: join(dir, 'logs', 'error.log'),
    console: join(dir, 'logs', 'console.log'),
    pid: join(dir, 'ejabberd.pid'),
    pem: join(dir, 'server.pem'),
    ca: join(dir, 'ca.pem'),
  };
}

/** A short Erlang node name, stable for a desk folder (Mnesia is bound to it) and distinct between desks. */
export function ejabberdNodeName(dir: string): string {
  return `tickdesk-${createHash('sha256').update(dir).digest('hex').slice(0, 10)}@localhost`;
}

const yamlList = (items: readonly string[], indent: number): string =>
  items.length === 0 ? '[]' : items.map((s, i) => `${i === 0 ? '' : ' '.repeat(indent)}- ${JSON.stringify(s)}`).join('\n');
const userPart = (jid: string) => jid.split('@')[0]!;

export function renderEjabberdConfig(opts: EjabberdOptions): string {
  const limit = authLimitValues(opts.authLimit);
  const p = ejabberdPaths(opts.dir);
  const origins = opts.websocketOrigins ?? [];
  return renderFile(TEMPLATE, {
    dir: opts.dir,
    domain: opts.domain,
    pubsubHost: `pubsub.${opts.domain}`,
    c2sPort: opts.c2sPort,
    c2sDirectTlsPort: opts.c2sDirectTlsPort,
    httpPort: opts.httpPort,
    certFile: p.pem,
    caFile: p.ca,
    // ACL `user:` entries are local parts of the host's users.
    adminUsers: yamlList(opts.admins.map(userPart), 6),
    pubsubCreators: yamlList(opts.pubsubAdmins.map(userPart), 6),
    serviceUsers: yamlList(opts.unlimited.map(userPart), 6),
    pubsubMaxItems: opts.pubsubMaxItems ?? 1000,
    authIpMax: limit.ipMax,
    authLockoutS: limit.lockoutS,
    authExemptIps: yamlList(limit.exemptIps, 6),
    // No listed origin: a placeholder no page has, so every page origin is refused.
    websocketOrigin: yamlList(origins.length > 0 ? origins : ['http://websocket-origin.invalid'], 2),
    logLevel: opts.logLevel === 'warn' ? 'warning' : (opts.logLevel ?? 'info'),
  });
}

function ctlConfig(opts: EjabberdOptions, node: string): string {
  const p = ejabberdPaths(opts.dir);
  return [
    '# ejabberdctl settings of one tickdesk node (rendered on every start).',
    `ERLANG_NODE=${node}`,
    // A fixed distribution port and no epmd: desks never share a name server, and the
    // port is bound to loopback (a cluster binds it to its own network instead).
    `ERL_DIST_PORT=${opts.distPort}`,
    'ERL_EPMD_ADDRESS=127.0.0.1',
    'ERL_OPTIONS="-kernel inet_dist_use_interface {127,0,0,1} -env ERL_CRASH_DUMP_BYTES 0"',
    `EJABBERD_PID_PATH=${p.pid}`,
    'EJABBERD_BYPASS_WARNINGS=true',
    '',
  ].join('\n');
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** ejabberdctl refuses other users than root and `ejabberd`; as root we switch to `ejabberd` ourselves. */
function runAs(): RunAs {
  const me = userInfo();
  if (me.username === EJABBERD_USER) return {};
  if (me.uid !== 0) {
    throw new InfraError('TICKDESK_INFRA_START_FAILED',
      `ejabberd runs as the '${EJABBERD_USER}' user: start the desk as root or as '${EJABBERD_USER}', or choose Prosody (TICKDESK_XMPP_SERVER=prosody).`);
  }
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${EJABBERD_USER}:`));
  if (!line) throw new InfraError('TICKDESK_INFRA_BINARY_MISSING', `no '${EJABBERD_USER}' user: install ejabberd with: apt-get install -y ejabberd erlang-p1-sqlite3`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function chownTree(path: string, who: RunAs): void {
  if (who.uid === undefined) return;
  chownSync(path, who.uid, who.gid!);
  if (statSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e), who);
}

/** The desk folder above `dir` is private (0700): let ejabberd's group through it, and no one else. */
function openParent(dir: string, who: RunAs): void {
  if (who.gid === undefined) return;
  const parent = dirname(dir);
  const st = statSync(parent);
  if ((st.mode & 0o001) !== 0 || (st.gid === who.gid && (st.mode & 0o010) !== 0)) return;
  chownSync(parent, st.uid, who.gid);
  chmodSync(parent, (st.mode & 0o700) | 0o010);
}

/** Render config, ctl config, certificate PEM and Mnesia schema; folders owned by ejabberd. */
export function writeEjabberdConfig(opts: EjabberdOptions, who: RunAs = runAs()): { node: string } {
  const p = ejabberdPaths(opts.dir);
  const node = opts.nodeName ?? ejabberdNodeName(opts.dir);
  for (const d of [opts.dir, p.spool, p.sql, p.logs]) mkdirSync(d, { recursive: true, mode: 0o700 });
  writeFileSync(p.config, renderEjabberdConfig(opts), { mode: 0o600 });
  writeFileSync(p.ctlConfig, ctlConfig(opts, node), { mode: 0o600 });
  writeFileSync(join(opts.dir, 'inetrc'), '{lookup, ["file", "native"]}.\n', { mode: 0o600 });
  writeFileSync(p.pem, readFileSync(opts.certs.serverKey, 'utf8') + readFileSync(opts.certs.serverCert, 'utf8'), { mode: 0o600 });
  writeFileSync(p.ca, readFileSync(opts.certs.caCert, 'utf8'), { mode: 0o600 });
  // Tick items in RAM (ejabberd_mnesia reads per-table storage from the spool's
  // ejabberd.schema): they are recent history, the recorder keeps the durable one.
  writeFileSync(join(p.spool, 'ejabberd.schema'), 'pubsub_item:\n  storage_type: ram_copies\n', { mode: 0o600 });
  chownTree(opts.dir, who);
  openParent(opts.dir, who);
  return { node };
}

function ctlArgs(opts: EjabberdOptions, node: string): string[] {
  const p = ejabberdPaths(opts.dir);
  return ['--config-dir', opts.dir, '--spool', p.spool, '--logs', p.logs, '--node', node];
}

/** The environment ejabberdctl and the node run with: the Erlang cookie lives in the spool (HOME). */
const ctlEnv = (opts: EjabberdOptions): NodeJS.ProcessEnv => ({
  ...process.env, HOME: ejabberdPaths(opts.dir).spool, ERL_EPMD_ADDRESS: '127.0.0.1', EJABBERD_MNESIA_SCHEMA: ejabberdPaths(opts.dir).spool,
});

async function ctl(opts: EjabberdOptions, node: string, args: string[], who: RunAs): Promise<void> {
  const bin = requireBinary('ejabberdctl', 'ejabberd erlang-p1-sqlite3');
  await execFileP(bin, [...ctlArgs(opts, node), ...args], { env: ctlEnv(opts), cwd: ejabberdPaths(opts.dir).spool, ...who, timeout: 60_000 });
}

/** Create an account, or set its password if it exists (ejabberdctl over the node's loopback distribution port). */
export async function registerEjabberdAccount(opts: EjabberdOptions, node: string, user: string, password: string, who: RunAs = runAs()): Promise<void> {
  try {
    await ctl(opts, node, ['register', user, opts.domain, password], who);
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    const text = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    if (!/already registered|conflict/i.test(text)) {
      throw new InfraError('TICKDESK_INFRA_COMMAND_FAILED', `ejabberdctl register ${user}@${opts.domain} failed: ${text.trim() || String(err)}`);
    }
    await ctl(opts, node, ['change_password', user, opts.domain, password], who);
  }
}

/**
 * Tick items in RAM. ejabberd_mnesia reads per-table storage from the spool's
 * ejabberd.schema, but 23.01 applies it only to a table that already exists (a new table
 * is created with the module's default, disc_only_copies for pubsub_item): so the copy
 * type is also changed over the node's loopback distribution once it runs.
 */
async function itemsInRam(opts: EjabberdOptions, node: string, who: RunAs): Promise<void> {
  const erl = requireBinary('erl', 'erlang-base');
  const n = `'${node}'`;
  const expr = `R = rpc:call(${n}, mnesia, change_table_copy_type, [pubsub_item, ${n}, ram_copies]), io:format("~p~n", [R]), halt().`;
  const args = ['-sname', `tickdesk-ctl-${process.pid}-${Date.now() % 100000}@localhost`, '-hidden', '-noinput',
    '-kernel', 'inet_dist_use_interface', '{127,0,0,1}', '-erl_epmd_port', String(opts.distPort), '-start_epmd', 'false', '-dist_listen', 'false', '-eval', expr];
  const { stdout } = await execFileP(erl, args, { env: ctlEnv(opts), cwd: ejabberdPaths(opts.dir).spool, ...who, timeout: 30_000 });
  if (!/\{atomic,ok\}|already_exists/.test(stdout)) {
    throw new InfraError('TICKDESK_INFRA_COMMAND_FAILED', `ejabberd: could not keep pubsub items in RAM: ${stdout.trim()}`);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function failure(opts: EjabberdOptions, why: string): InfraError {
  const p = ejabberdPaths(opts.dir);
  const logs = [p.console, p.errorLog, p.log].filter(existsSync).map((f) => `--- ${f}\n${tail(f, 12)}`).join('\n');
  return new InfraError('TICKDESK_INFRA_START_FAILED', `ejabberd did not start: ${why}\n${logs || '(no log)'}`);
}

/** Start a private ejabberd node from a rendered config on loopback ports, in the foreground of its own process group. */
export async function startEjabberd(opts: EjabberdOptions): Promise<XmppServer> {
  const bin = requireBinary('ejabberdctl', 'ejabberd erlang-p1-sqlite3');
  const who = runAs();
  await assertPortFree(opts.c2sPort, 'XMPP client connections', 'TICKDESK_XMPP_PORT');
  await assertPortFree(opts.c2sDirectTlsPort, 'XMPP direct TLS', 'TICKDESK_XMPP_TLS_PORT');
  await assertPortFree(opts.httpPort, 'XMPP WebSocket/HTTP', 'TICKDESK_XMPP_HTTP_PORT');
  await assertPortFree(opts.distPort, 'Erlang distribution of ejabberd', 'TICKDESK_XMPP_DIST_PORT');
  const { node } = writeEjabberdConfig(opts, who);
  const p = ejabberdPaths(opts.dir);
  const out = openSync(p.console, 'a');
  const proc = startProcess(bin, [...ctlArgs(opts, node), 'foreground'], { ...who, env: ctlEnv(opts), cwd: p.spool, outFd: out, group: true });
  closeSync(out);
  const beamPid = () => readPid(p.pid) ?? proc.pid;
  const stop = async () => {
    const pid = readPid(p.pid);
    await proc.stop(10_000);
    // The script has exited; the node may still be closing Mnesia.
    for (let i = 0; pid !== undefined && pidAlive(pid) && i < 100; i++) await new Promise((r) => setTimeout(r, 100));
    if (pid !== undefined && pidAlive(pid)) process.kill(pid, 'SIGKILL');
  };
  try {
    await waitForPort(opts.c2sPort, 60_000, proc.alive);
    await waitForPort(opts.httpPort, 10_000, proc.alive);
    await itemsInRam(opts, node, who);
  } catch (err) {
    await stop();
    throw failure(opts, (err as Error).message);
  }
  return {
    kind: 'ejabberd',
    domain: opts.domain,
    pubsubHost: `pubsub.${opts.domain}`,
    c2sPort: opts.c2sPort,
    httpPort: opts.httpPort,
    configPath: p.config,
    logPath: p.log,
    pidPath: p.pid,
    process: proc,
    serverPid: beamPid,
    register: (user, password) => registerEjabberdAccount(opts, node, user, password, who),
    stop,
  };
}

/** ejabberd behind the common control: bootstrap accounts are made with ejabberdctl once the node listens. */
export function ejabberdControl(opts: EjabberdOptions): XmppServerControl {
  return {
    kind: 'ejabberd',
    logPath: ejabberdPaths(opts.dir).log,
    async start(accounts = []) {
      const server = await startEjabberd(opts);
      try {
        await Promise.all(accounts.map(([user, password]) => server.register(user, password)));
      } catch (err) {
        await server.stop();
        throw err;
      }
      return server;
    },
  };
}
