import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ejabberdCluster,
  ejabberdPaths,
  ensureCertificates,
  epmdNames,
  freePort,
  type ClusterNodeOptions,
  type EjabberdCluster,
  type XmppServer,
} from '@tickdesk/infra';
import { stringMatching } from '../support/matchers.js';

// Start-up errors of a two-node cluster: each one message with the cause and the fix.
const domain = 'desk.localhost';
const home = mkdtempSync(join(tmpdir(), 'tickdesk-cluster-errors-'));
const accounts = [['admin', 'admin-password-1']] as const;
let nodes: ClusterNodeOptions[];
let base: Parameters<typeof ejabberdCluster>[0];
let epmdPort: number;
let cluster: EjabberdCluster;
const running: XmppServer[] = [];

/** Node 2's start; a start that succeeds against expectation is stopped with the rest. */
const startNode2 = () => {
  const attempt = cluster.controls[1]!.start();
  attempt.then(
    (s) => running.push(s),
    () => undefined,
  );
  return attempt;
};

const listen = async (port: number) => {
  const srv = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
  return srv;
};

beforeAll(async () => {
  const certs = ensureCertificates(join(home, 'certs'), domain);
  nodes = [];
  for (let i = 1; i <= 2; i++) {
    nodes.push({
      dir: join(home, `ejabberd-${i}`),
      name: `tderrors${process.pid}n${i}@localhost`,
      c2sPort: await freePort(),
      c2sDirectTlsPort: await freePort(),
      httpPort: await freePort(),
      distPort: await freePort(),
    });
  }
  base = {
    domain,
    certs,
    admins: [`admin@${domain}`],
    pubsubAdmins: [`admin@${domain}`],
    unlimited: [`admin@${domain}`],
  };
  epmdPort = await freePort();
  cluster = ejabberdCluster(base, nodes, epmdPort);
}, 60_000);

afterAll(async () => {
  for (const s of running.splice(0)) await s.stop().catch(() => undefined);
  await cluster.stopEpmd();
  rmSync(home, { recursive: true, force: true });
}, 120_000);

describe('start-up errors of a clustered desk', () => {
  it('refuses an epmd port that another program holds, naming the port and the variable', async () => {
    const port = await freePort();
    const other = await listen(port);
    try {
      await expect(ejabberdCluster(base, nodes, port).start(accounts)).rejects.toMatchObject({
        code: 'TICKDESK_INFRA_PORT_IN_USE',
        message: stringMatching(
          new RegExp(`^port ${port} \\(the ejabberd cluster's epmd.*is not epmd.*TICKDESK_XMPP_DIST_PORT=<port>`),
        ),
      });
    } finally {
      other.close();
    }
  });

  it('a node that cannot join because node 1 is not running says so, and what to do', async () => {
    // Node 1 has run once (it made the cookie) and is down.
    const first = await cluster.controls[0]!.start(accounts);
    await first.stop();
    await expect(startNode2()).rejects.toMatchObject({
      code: 'TICKDESK_INFRA_CLUSTER_JOIN_FAILED',
      message: stringMatching(
        new RegExp(
          `^ejabberd node 2 \\(${nodes[1]!.name}\\) could not join node 1 \\(${nodes[0]!.name}\\): node 1 is not running .*Fix: start node 1 first`,
        ),
      ),
    });
  }, 120_000);

  it('a port of node 2 in use names node 2 and the variable its port derives from', async () => {
    const other = await listen(nodes[1]!.c2sPort);
    try {
      await expect(startNode2()).rejects.toMatchObject({
        code: 'TICKDESK_INFRA_PORT_IN_USE',
        message: stringMatching(
          new RegExp(
            `^port ${nodes[1]!.c2sPort} \\(XMPP client connections of ejabberd node 2\\) is already in use.*TICKDESK_XMPP_PORT=<port>`,
          ),
        ),
      });
    } finally {
      other.close();
    }
  });

  it('a node whose cookie node 1 refuses names the cookie mismatch and the fix', async () => {
    running.push(await cluster.controls[0]!.start(accounts));
    // Node 1's cookie file changes while it runs: node 2 gets the new one, node 1 knows the old.
    const cookie = join(ejabberdPaths(nodes[0]!.dir).spool, '.erlang.cookie');
    const original = readFileSync(cookie, 'utf8');
    chmodSync(cookie, 0o600);
    writeFileSync(cookie, 'NOTTHECOOKIEOFNODEONE');
    chmodSync(cookie, 0o400);
    try {
      await expect(startNode2()).rejects.toMatchObject({
        code: 'TICKDESK_INFRA_COOKIE_MISMATCH',
        message: stringMatching(/could not join node 1 .*: node 1 refused its Erlang cookie .*Fix: restart the desk/),
      });
    } finally {
      chmodSync(cookie, 0o600);
      writeFileSync(cookie, original);
      chmodSync(cookie, 0o400);
    }
  }, 120_000);

  it("stopping the nodes and then the cluster's epmd leaves no epmd behind", async () => {
    for (const s of running.splice(0)) await s.stop();
    await cluster.stopEpmd();
    expect(await epmdNames(epmdPort)).toBeUndefined();
  }, 60_000);
});
