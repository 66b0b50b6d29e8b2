import { execFile } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { promisify } from 'node:util';
import { requireBinary, which } from './binaries.js';
import { ejabberdPaths, runAs, writeEjabberdConfig, type EjabberdOptions, type RunAs } from './ejabberd-config.js';
import { InfraError } from './errors.js';
import { startProcess, tail, type ManagedProcess } from './managed-process.js';
import { assertPortFree, waitForPort } from './ports.js';
import type { XmppServer, XmppServerControl } from './xmpp-server.js';

const execFileP = promisify(execFile);

/** ejabberdctl's path, or an error naming the package to install and the other way to run a desk. */
export function requireEjabberd(find: (name: string) => string | undefined = which): string {
  const path = find('ejabberdctl');
  if (!path) {
    throw new InfraError(
      'TICKDESK_INFRA_BINARY_MISSING',
      'ejabberd is not installed (no ejabberdctl on PATH or in /usr/sbin), and TICKDESK_XMPP_SERVER=ejabberd needs it. ' +
        'Install it with: apt-get install -y ejabberd erlang-p1-sqlite3 (or run npm start, which installs it for you), ' +
        'or run the desk on Prosody: TICKDESK_XMPP_SERVER=prosody TICKDESK_XMPP_NODES=1.',
    );
  }
  return path;
}
const ejabberdctl = () => requireEjabberd();

function ctlArgs(opts: EjabberdOptions, node: string): string[] {
  const p = ejabberdPaths(opts.dir);
  return ['--config-dir', opts.dir, '--spool', p.spool, '--logs', p.logs, '--node', node];
}

/** The environment ejabberdctl and the node run with: the Erlang cookie lives in the spool (HOME). */
const ctlEnv = (opts: EjabberdOptions): NodeJS.ProcessEnv => ({
  ...process.env,
  HOME: ejabberdPaths(opts.dir).spool,
  ERL_EPMD_ADDRESS: '127.0.0.1',
  EJABBERD_MNESIA_SCHEMA: ejabberdPaths(opts.dir).spool,
  ...(opts.epmdPort !== undefined ? { ERL_EPMD_PORT: String(opts.epmdPort) } : {}),
});

/** The node's own environment: in a cluster its listener is fixed here, not in ejabberdctl.cfg, which ejabberdctl's own node reads too. */
const nodeEnv = (opts: EjabberdOptions): NodeJS.ProcessEnv => ({
  ...ctlEnv(opts),
  ...(opts.epmdPort !== undefined
    ? { ERL_FLAGS: `-kernel inet_dist_listen_min ${opts.distPort} inet_dist_listen_max ${opts.distPort}` }
    : {}),
});

/** ejabberdctl's answer (stdout). */
export async function ctlOutput(
  opts: EjabberdOptions,
  node: string,
  args: string[],
  who: RunAs = runAs(),
): Promise<string> {
  const bin = ejabberdctl();
  const { stdout } = await execFileP(bin, [...ctlArgs(opts, node), ...args], {
    env: ctlEnv(opts),
    cwd: ejabberdPaths(opts.dir).spool,
    ...who,
    timeout: 60_000,
  });
  return stdout;
}

async function ctl(opts: EjabberdOptions, node: string, args: string[], who: RunAs): Promise<void> {
  const bin = ejabberdctl();
  await execFileP(bin, [...ctlArgs(opts, node), ...args], {
    env: ctlEnv(opts),
    cwd: ejabberdPaths(opts.dir).spool,
    ...who,
    timeout: 60_000,
  });
}

/** Create an account, or set its password if it exists (ejabberdctl over the node's loopback distribution port). */
export async function registerEjabberdAccount(
  opts: EjabberdOptions,
  node: string,
  user: string,
  password: string,
  who: RunAs = runAs(),
): Promise<void> {
  try {
    await ctl(opts, node, ['register', user, opts.domain, password], who);
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    const text = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    if (!/already registered|conflict/i.test(text)) {
      throw new InfraError(
        'TICKDESK_INFRA_COMMAND_FAILED',
        `ejabberdctl register ${user}@${opts.domain} failed: ${text.trim() || String(err)}`,
      );
    }
    await ctl(opts, node, ['change_password', user, opts.domain, password], who);
  }
}

/**
 * Two settings ejabberd 23.01 has no option for, applied over the node's loopback
 * distribution once it runs:
 * - tick items in RAM. ejabberd_mnesia reads per-table storage from the spool's
 *   ejabberd.schema, but applies it only to a table that already exists (a new table is
 *   created with the module's default, disc_only_copies for pubsub_item);
 * - the archive's SQLite in WAL mode with synchronous=NORMAL: with SQLite's rollback
 *   journal every archived chat message cost several fsyncs in the sender's session, and
 *   a burst of 1,000 alerts took 25 to 28 s to deliver, 8 s with WAL (Prosody 10 s). WAL keeps every commit
 *   across a crash of ejabberd; a power cut may lose the last ones.
 */
async function tuneNode(opts: EjabberdOptions, node: string, who: RunAs): Promise<void> {
  const n = `'${node}'`;
  const sql = (q: string) => `rpc:call(${n}, ejabberd_sql, sql_query, [<<"${opts.domain}">>, <<"${q}">>])`;
  const { stdout, stderr } = await evalOnNode(opts, who, [
    `Items = rpc:call(${n}, mnesia, change_table_copy_type, [pubsub_item, ${n}, ram_copies])`,
    `Wal = ${sql('pragma journal_mode=WAL')}`,
    `Sync = ${sql('pragma synchronous=NORMAL')}`,
    'io:format("~w~n~w~n~w~n", [Items, Wal, Sync])',
  ]);
  const [items = '', wal = ''] = stdout.trim().split('\n');
  // ~w prints the binary <<"wal">> as its bytes.
  if (!/\{atomic,ok\}|already_exists/.test(items) || !/<<119,97,108>>/.test(wal)) {
    throw new InfraError(
      'TICKDESK_INFRA_COMMAND_FAILED',
      `ejabberd: could not keep pubsub items in RAM or put the archive in WAL mode: ${stdout.trim()} ${stderr.trim()}`,
    );
  }
}

/** Erlang expressions run by a short-lived hidden node over the node's loopback distribution (the node's cookie: HOME is its spool). */
async function evalOnNode(
  opts: EjabberdOptions,
  who: RunAs,
  exprs: string[],
): Promise<{ stdout: string; stderr: string }> {
  const erl = requireBinary('erl', 'erlang-base');
  // halt() right after io:format can cut the output short.
  const expr = [...exprs, 'timer:sleep(100)', 'halt().'].join(', ');
  const args = [
    '-sname',
    `tickdesk-ctl-${process.pid}-${Date.now() % 100000}@localhost`,
    '-hidden',
    '-noinput',
    '-kernel',
    'inet_dist_use_interface',
    '{127,0,0,1}',
    ...(opts.epmdPort === undefined ? ['-erl_epmd_port', String(opts.distPort)] : []),
    '-start_epmd',
    'false',
    '-dist_listen',
    'false',
    '-eval',
    expr,
  ];
  return execFileP(erl, args, { env: ctlEnv(opts), cwd: ejabberdPaths(opts.dir).spool, ...who, timeout: 30_000 });
}

/**
 * The nodes in this node's Mnesia schema (`db_nodes`): a member names the cluster's other
 * nodes there from its disc even before it has reached them, where `list_cluster` (the
 * running ones) may not name node 1 yet right after a restart.
 */
async function schemaNodes(opts: EjabberdOptions, node: string, who: RunAs): Promise<string[]> {
  const { stdout, stderr } = await evalOnNode(opts, who, [
    `io:format("~w~n", [rpc:call('${node}', mnesia, system_info, [db_nodes])])`,
  ]);
  const line = stdout.trim();
  if (!line.startsWith('['))
    throw new InfraError(
      'TICKDESK_INFRA_COMMAND_FAILED',
      `ejabberd: could not read the Mnesia nodes of ${node}: ${line} ${stderr.trim()}`,
    );
  return line.split(/[[\],'\s]+/).filter(Boolean);
}

/**
 * Join `seed`'s cluster unless this node is in it already (a restarted node keeps its
 * Mnesia schema, and with it its membership). ejabberd restarts itself while joining: its
 * client port closes and opens again.
 */
async function joinCluster(
  opts: EjabberdOptions,
  node: string,
  seed: string,
  who: RunAs,
  alive: () => boolean,
): Promise<void> {
  // A member rejoins by itself as it starts; join_cluster would restart it and copy every table again.
  if ((await schemaNodes(opts, node, who)).includes(seed)) return;
  try {
    await ctlOutput(opts, node, ['join_cluster', seed], who);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message?: string };
    throw new InfraError(
      'TICKDESK_INFRA_CLUSTER_JOIN_FAILED',
      `node ${node} could not join the cluster of ${seed} (is ${seed} running, with the same cookie?): ${`${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message}`,
    );
  }
  await waitForPort(opts.c2sPort, 60_000, alive);
  await waitForPort(opts.httpPort, 10_000, alive);
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
  const logs = [p.console, p.errorLog, p.log]
    .filter(existsSync)
    .map((f) => `--- ${f}\n${tail(f, 12)}`)
    .join('\n');
  return new InfraError('TICKDESK_INFRA_START_FAILED', `ejabberd did not start: ${why}\n${logs || '(no log)'}`);
}

/** The script reports the VM's death by signal N as `exit 128+N`: say the signal, as for the other parts. */
function reportSignals(proc: ManagedProcess): ManagedProcess {
  const bySignal = (reason: string): string => {
    const code = Number(/^exit (\d+)$/.exec(reason)?.[1] ?? 0) - 128;
    const name = Object.entries(constants.signals).find(([, n]) => n === code)?.[0];
    return code > 0 && name ? name : reason;
  };
  return { ...proc, ended: proc.ended.then(bySignal) };
}

/** Start a private ejabberd node from a rendered config on loopback ports, in the foreground of its own process group. */
export async function startEjabberd(opts: EjabberdOptions): Promise<XmppServer> {
  const bin = ejabberdctl();
  const who = runAs();
  const of = opts.nodeLabel ? ` of ejabberd ${opts.nodeLabel}` : '';
  await assertPortFree(opts.c2sPort, `XMPP client connections${of}`, 'TICKDESK_XMPP_PORT');
  await assertPortFree(opts.c2sDirectTlsPort, `XMPP direct TLS${of}`, 'TICKDESK_XMPP_TLS_PORT');
  await assertPortFree(opts.httpPort, `XMPP WebSocket/HTTP${of}`, 'TICKDESK_XMPP_HTTP_PORT');
  await assertPortFree(opts.distPort, `Erlang distribution${of || ' of ejabberd'}`, 'TICKDESK_XMPP_DIST_PORT');
  const { node } = writeEjabberdConfig(opts, who);
  const p = ejabberdPaths(opts.dir);
  const out = openSync(p.console, 'a');
  const proc = startProcess(bin, [...ctlArgs(opts, node), 'foreground'], {
    ...who,
    env: nodeEnv(opts),
    cwd: p.spool,
    outFd: out,
    group: true,
  });
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
    if (opts.joinNode !== undefined) await joinCluster(opts, node, opts.joinNode, who, proc.alive);
    await tuneNode(opts, node, who);
  } catch (err) {
    await stop();
    // A refused join is the cluster's to explain (ejabberdCluster names the cause and the fix).
    if (err instanceof InfraError && err.code === 'TICKDESK_INFRA_CLUSTER_JOIN_FAILED') throw err;
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
    process: reportSignals(proc),
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
