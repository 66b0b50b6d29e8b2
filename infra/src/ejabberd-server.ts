import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { ejabberdPaths, runAs, writeEjabberdConfig, type EjabberdOptions } from './ejabberd-config.js';
import { ctlArgs, nodeEnv, registerEjabberdAccount, requireEjabberd } from './ejabberd-ctl.js';
import { joinCluster, tuneNode } from './ejabberd-node-setup.js';
import { InfraError } from './errors.js';
import { startProcess, tail, type ManagedProcess } from './managed-process.js';
import { startPeerDns } from './peer-dns.js';
import { assertPortFree, waitForPort } from './ports.js';
import type { XmppServer, XmppServerControl } from './xmpp-server.js';

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
  const bin = requireEjabberd();
  const who = runAs();
  const of = opts.nodeLabel ? ` of ejabberd ${opts.nodeLabel}` : '';
  await assertPortFree(opts.c2sPort, `XMPP client connections${of}`, 'TICKDESK_XMPP_PORT');
  await assertPortFree(opts.c2sDirectTlsPort, `XMPP direct TLS${of}`, 'TICKDESK_XMPP_TLS_PORT');
  await assertPortFree(opts.httpPort, `XMPP WebSocket/HTTP${of}`, 'TICKDESK_XMPP_HTTP_PORT');
  await assertPortFree(opts.distPort, `Erlang distribution${of || ' of ejabberd'}`, 'TICKDESK_XMPP_DIST_PORT');
  const peers = opts.federation?.peers ?? [];
  if (opts.federation && peers.length > 0)
    await assertPortFree(opts.federation.s2sPort, `XMPP server-to-server links${of}`, 'TICKDESK_S2S_PORT');
  // The peers' servers are found through the desk's own resolver, which lives as long as this node.
  const dns = peers.length > 0 ? await startPeerDns({ peers }) : undefined;
  let proc: ManagedProcess;
  let node: string;
  try {
    ({ node } = writeEjabberdConfig(dns ? { ...opts, peerDnsPort: dns.port } : opts, who));
    const out = openSync(ejabberdPaths(opts.dir).console, 'a');
    proc = startProcess(bin, [...ctlArgs(opts, node), 'foreground'], {
      ...who,
      env: nodeEnv(opts),
      cwd: ejabberdPaths(opts.dir).spool,
      outFd: out,
      group: true,
    });
    closeSync(out);
  } catch (err) {
    await dns?.stop();
    throw err;
  }
  void proc.ended.then(() => dns?.stop());
  const p = ejabberdPaths(opts.dir);
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
