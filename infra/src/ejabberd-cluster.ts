import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireBinary } from './binaries.js';
import { ejabberdPaths, type EjabberdOptions } from './ejabberd-config.js';
import { ejabberdControl } from './ejabberd-server.js';
import { InfraError } from './errors.js';
import { assertEpmdPort, explainJoinFailure } from './ejabberd-cluster-errors.js';
import type { XmppNode, XmppServer, XmppServerControl } from './xmpp-server.js';

const execFileP = promisify(execFile);

/**
 * A node of the cluster; `label` names it in start-up errors (default `node <i>`). A
 * federated cluster gives each node its own s2s listener (`s2sPort`, default the base's).
 */
export type ClusterNodeOptions = XmppNode & { dir: string; label?: string; s2sPort?: number };

export interface EjabberdCluster {
  /** One control per node: node 1 first; node 2 and up join node 1's cluster when they start. */
  readonly controls: readonly XmppServerControl[];
  /** Start every node, each joined to node 1: node 1 (with the bootstrap accounts) and the nodes that were members already together, then each new node. */
  start(accounts?: ReadonlyArray<readonly [user: string, password: string]>): Promise<XmppServer[]>;
  /** Stop the desk's epmd once every node has stopped. */
  stopEpmd(): Promise<void>;
}

/**
 * N ejabberd nodes of one desk on one machine, joined into one Mnesia cluster. Their
 * Erlang distribution goes through a private epmd on a loopback port (`epmdPort`), each
 * node on its own distribution port: without epmd a node looks for every other node on
 * its own port, so nodes sharing 127.0.0.1 could not reach one another. Node 1 makes the
 * cookie; the others get a copy before they start (a node with another cookie cannot join).
 */
export function ejabberdCluster(
  base: Omit<EjabberdOptions, 'dir' | 'c2sPort' | 'c2sDirectTlsPort' | 'httpPort' | 'distPort' | 'nodeName'>,
  nodes: readonly ClusterNodeOptions[],
  epmdPort: number,
): EjabberdCluster {
  if (nodes.length < 2) throw new RangeError('a cluster has two nodes or more');
  const first = nodes[0]!;
  const optsOf = (n: ClusterNodeOptions, i: number): EjabberdOptions => ({
    ...base,
    dir: n.dir,
    c2sPort: n.c2sPort,
    c2sDirectTlsPort: n.c2sDirectTlsPort,
    httpPort: n.httpPort,
    distPort: n.distPort,
    nodeName: n.name,
    epmdPort,
    nodeLabel: n.label ?? `node ${i + 1}`,
    ...(i > 0 ? { joinNode: first.name } : {}),
    // Each node listens for s2s itself and resolves the peers with its own responder
    // (startEjabberd): ejabberd opens an outgoing link from the node that routes the stanza.
    ...(base.federation && n.s2sPort !== undefined ? { federation: { ...base.federation, s2sPort: n.s2sPort } } : {}),
  });
  const controls = nodes.map((n, i) => {
    const control = ejabberdControl(optsOf(n, i));
    if (i === 0) return control;
    return {
      ...control,
      start: async (accounts?: ReadonlyArray<readonly [string, string]>) => {
        copyCookie(first.dir, n.dir);
        try {
          return await control.start(accounts);
        } catch (err) {
          if (!(err instanceof InfraError && err.code === 'TICKDESK_INFRA_CLUSTER_JOIN_FAILED')) throw err;
          throw await explainJoinFailure(err, { node: n, label: n.label ?? `node ${i + 1}`, first, epmdPort });
        }
      },
    };
  });
  return {
    controls,
    async start(accounts = []) {
      await assertEpmdPort(epmdPort);
      // Mnesia loads a table from its own disc alone only on the node that went down last;
      // after every node went down at once (kill -9, a reboot) each node waits at start for
      // the tables the others hold, so node 1 alone would wait forever. Node 1 and every
      // node that has been a member (a Mnesia schema in its spool) start together; a new
      // node joins afterwards, once node 1 runs.
      const members = controls.map((_, i) => i === 0 || hasMnesia(nodes[i]!.dir));
      const servers: Array<XmppServer | undefined> = [];
      const startAt = (i: number) => controls[i]!.start(i === 0 ? accounts : []).then((s) => (servers[i] = s));
      const waves = [members.flatMap((m, i) => (m ? [i] : [])), ...members.flatMap((m, i) => (m ? [] : [[i]]))];
      try {
        for (const wave of waves) {
          const results = await Promise.allSettled(wave.map(startAt));
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
        }
      } catch (err) {
        for (const s of servers.filter((x): x is XmppServer => x !== undefined).reverse())
          await s.stop().catch(() => undefined);
        await stopEpmd(epmdPort);
        throw err;
      }
      return servers as XmppServer[];
    },
    stopEpmd: () => stopEpmd(epmdPort),
  };
}

/** A node that has started once has its Mnesia schema on disc (ejabberd's spool is Mnesia's directory). */
function hasMnesia(dir: string): boolean {
  return existsSync(join(ejabberdPaths(dir).spool, 'schema.DAT'));
}

function copyCookie(fromDir: string, toDir: string): void {
  const from = join(ejabberdPaths(fromDir).spool, '.erlang.cookie');
  if (!existsSync(from))
    throw new InfraError(
      'TICKDESK_INFRA_START_FAILED',
      `no Erlang cookie in ${from}: node 1 must have started once before the other nodes`,
    );
  const spool = ejabberdPaths(toDir).spool;
  mkdirSync(spool, { recursive: true, mode: 0o700 });
  const to = join(spool, '.erlang.cookie');
  if (existsSync(to)) chmodSync(to, 0o600);
  copyFileSync(from, to);
  // Erlang refuses a cookie file others can read; the node's folder is handed to ejabberd when it starts.
  chmodSync(to, 0o400);
}

async function stopEpmd(port: number): Promise<void> {
  const epmd = requireBinary('epmd', 'erlang-base');
  await execFileP(epmd, ['-kill'], { env: { ...process.env, ERL_EPMD_PORT: String(port) }, timeout: 10_000 }).catch(
    () => undefined,
  );
}
export { epmdNames } from './ejabberd-cluster-errors.js';
