import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireBinary } from './binaries.js';
import { ejabberdPaths, type EjabberdOptions, type RunAs } from './ejabberd-config.js';
import { ctlEnv, ctlOutput } from './ejabberd-ctl.js';
import { InfraError } from './errors.js';
import { waitForPort } from './ports.js';

const execFileP = promisify(execFile);

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
export async function tuneNode(opts: EjabberdOptions, node: string, who: RunAs): Promise<void> {
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
export async function joinCluster(
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
