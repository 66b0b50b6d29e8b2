import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { freePort, type XmppServerKind } from '@tickdesk/infra';
import {
  connectAs,
  provisionDesk,
  startDeskInfra,
  XMPP_NODE_PORT_STEP,
  type DeskInfra,
  type Role,
} from '@tickdesk/desk';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';

export const log = pino({ level: 'warn' });

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** A free port whose every node's copy (port + i·step, i < nodes) and `below` ports under it are free too. */
async function freeNodePort(nodes: number, below = 0): Promise<number> {
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const all = Array.from({ length: nodes }, (_, i) => port + i * XMPP_NODE_PORT_STEP).flatMap((p) =>
      Array.from({ length: below + 1 }, (_, k) => p - k),
    );
    if (all.every((p) => p > 1024 && p < 65536) && (await Promise.all(all.map(isFree))).every(Boolean)) return port;
    if (tries > 50) throw new Error(`no free ports for ${nodes} XMPP nodes`);
  }
}

/** A private desk (XMPP server, Prosody by default, + Redis on free ports) for one benchmark run; `xmppNodes` > 1 starts an ejabberd cluster. */
export async function startBenchDesk({
  extraUsers = [],
  xmppServer,
  xmppNodes = 1,
}: { extraUsers?: ReadonlyArray<[string, Role]>; xmppServer?: XmppServerKind; xmppNodes?: number } = {}): Promise<
  DeskInfra & {
    connect(user: string, resource: string): ReturnType<typeof connectAs>;
    serverPid(): number;
    /** Every XMPP node's process (node 1 first), for CPU readings. */
    serverPids(): number[];
    /** Every XMPP node's client address (node 1 first). */
    services: string[];
    dispose(): Promise<void>;
  }
> {
  const home = mkdtempSync(join(tmpdir(), 'tickdesk-bench-'));
  const infra = await startDeskInfra({
    home,
    domain: 'desk.localhost',
    ports: {
      xmpp: await freeNodePort(xmppNodes),
      xmppTls: await freeNodePort(xmppNodes),
      xmppHttp: await freeNodePort(xmppNodes),
      redis: await freePort(),
      // A cluster's epmd listens on node 1's distribution port − 1.
      ...(xmppServer === 'ejabberd' ? { xmppDist: await freeNodePort(xmppNodes, xmppNodes > 1 ? 1 : 0) } : {}),
    },
    logLevel: 'warn',
    ...(xmppServer ? { xmppServer } : {}),
    xmppNodeCount: xmppNodes,
  });
  // On a fresh cluster Mnesia may abort a node creation (`cyclic`); provisioning is idempotent.
  for (let attempt = 1; ; attempt++) {
    try {
      await provisionDesk({ infra, instruments: DEFAULT_INSTRUMENTS, log, extraUsers });
      break;
    } catch (err) {
      if (attempt >= 3) {
        await infra.stop();
        throw err;
      }
      log.warn({ err, attempt }, 'provisioning failed, again');
    }
  }
  return Object.assign(infra, {
    connect: (user: string, resource: string) =>
      connectAs({ service: infra.service, domain: infra.domain, ca: infra.ca }, infra.credentials, user, log, resource),
    /** The XMPP server's process (node 1), for CPU readings. */
    serverPid: () => infra.xmpp.serverPid(),
    serverPids: () => infra.xmppServers.map((s) => s.serverPid()),
    services: infra.xmppNodes.map((n) => `xmpp://127.0.0.1:${n.c2sPort}`),
    async dispose() {
      await infra.stop();
      rmSync(home, { recursive: true, force: true });
    },
  });
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const median = (xs: number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
