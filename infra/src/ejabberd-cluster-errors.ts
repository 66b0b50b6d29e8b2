import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireBinary } from './binaries.js';
import { ejabberdPaths } from './ejabberd-config.js';
import { InfraError } from './errors.js';
import { assertPortFree } from './ports.js';
import type { XmppNode } from './xmpp-server.js';

const execFileP = promisify(execFile);
type Node = XmppNode & { dir: string };

/** The names registered with the epmd on `port`, or undefined when no epmd answers there. */
export async function epmdNames(port: number): Promise<string[] | undefined> {
  const epmd = requireBinary('epmd', 'erlang-base');
  try {
    const { stdout } = await execFileP(epmd, ['-names'], {
      env: { ...process.env, ERL_EPMD_PORT: String(port) },
      timeout: 5_000,
    });
    if (!/epmd: up and running/.test(stdout)) return undefined;
    return [...stdout.matchAll(/^name (\S+) at port/gm)].map((m) => m[1]!);
  } catch {
    return undefined;
  }
}

/** The cluster's epmd port is free, or an epmd holds it (one left by this desk's nodes after a crash serves again). */
export async function assertEpmdPort(port: number): Promise<void> {
  try {
    await assertPortFree(port, "the cluster's epmd", 'TICKDESK_XMPP_DIST_PORT');
  } catch (err) {
    if ((await epmdNames(port)) !== undefined) return;
    throw new InfraError(
      'TICKDESK_INFRA_PORT_IN_USE',
      `port ${port} (the ejabberd cluster's epmd, on the distribution port − 1) is in use by a program that is not epmd. ` +
        `Stop it (see: ss -ltnp 'sport = :${port}'), or choose another distribution port with TICKDESK_XMPP_DIST_PORT=<port>.`,
      { cause: err },
    );
  }
}

function logLines(dir: string): Array<{ file: string; text: string }> {
  const p = ejabberdPaths(dir);
  return [p.console, p.errorLog, p.log].filter(existsSync).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

/**
 * Why a node could not join node 1, with the fix: node 1 refused its Erlang cookie (Erlang
 * logs a rejected connection attempt on the node that refused it), node 1 is not running
 * (not registered with the desk's epmd), or else the join's own answer.
 */
export async function explainJoinFailure(
  err: InfraError,
  { node, label, first, epmdPort }: { node: Node; label: string; first: Node; epmdPort: number },
): Promise<InfraError> {
  const who = `ejabberd ${label} (${node.name}) could not join node 1 (${first.name})`;
  const short = node.name.split('@')[0]!;
  const rejected = logLines(first.dir).find(({ text }) =>
    text
      .split('\n')
      .some((l) => /connection attempt from/i.test(l) && /rejected|disallowed/i.test(l) && l.includes(short)),
  );
  if (rejected) {
    const cookie = join(ejabberdPaths(first.dir).spool, '.erlang.cookie');
    return new InfraError(
      'TICKDESK_INFRA_COOKIE_MISMATCH',
      `${who}: node 1 refused its Erlang cookie (a rejected connection attempt in ${rejected.file}). Every node gets a copy of ${cookie} ` +
        'before it starts, so node 1 runs with another cookie than that file now holds (the file changed after node 1 started). ' +
        'Fix: restart the desk (tickdesk down, then tickdesk up) so that node 1 reads its cookie again; across machines, give every node the same cookie.',
      { cause: err },
    );
  }
  const names = await epmdNames(epmdPort);
  if (!names?.includes(first.name.split('@')[0]!)) {
    return new InfraError(
      'TICKDESK_INFRA_CLUSTER_JOIN_FAILED',
      `${who}: node 1 is not running (not registered with the desk's epmd on 127.0.0.1:${epmdPort}). ` +
        `Fix: start node 1 first (tickdesk up does); if it does not start, see ${ejabberdPaths(first.dir).log}.`,
      { cause: err },
    );
  }
  return new InfraError(
    'TICKDESK_INFRA_CLUSTER_JOIN_FAILED',
    `${err.message}. See ${ejabberdPaths(node.dir).log} and ${ejabberdPaths(first.dir).log}.`,
    { cause: err },
  );
}
