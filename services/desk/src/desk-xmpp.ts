import { join } from 'node:path';
import {
  ejabberdCluster,
  ejabberdNodeName,
  requireEjabberd,
  xmppServerControl,
  type CertPaths,
  type FederationOptions,
  type XmppNode,
  type XmppServer,
  type XmppServerControl,
  type XmppServerKind,
  type XmppServerOptions,
} from '@tickdesk/infra';
import { XMPP_NODE_PORT_STEP } from './config.js';

/** The default distribution port of a desk's ejabberd (TICKDESK_XMPP_DIST_PORT). */
const DEFAULT_XMPP_DIST_PORT = 5210;

/** The desk's XMPP service before it starts: its nodes, a control per node, and how to start them all. */
export interface DeskXmpp {
  readonly nodes: readonly XmppNode[];
  /** Node 1 first; each starts its node again with the same config, data and ports. */
  readonly controls: readonly XmppServerControl[];
  /** Start every node, making the bootstrap accounts with the server's own tool. */
  start(accounts: ReadonlyArray<readonly [user: string, password: string]>): Promise<XmppServer[]>;
  /** Stop a cluster's epmd once its nodes have stopped (nothing for one node). */
  stopEpmd(): Promise<void>;
}

/**
 * The options every node of the desk's XMPP server (Prosody, ejabberd, or an ejabberd
 * cluster) is configured with, built once from the desk's settings. Nothing starts here;
 * a setting the machine cannot run (ejabberd missing, a Prosody cluster) is said now.
 */
export function deskXmpp({
  home,
  domain,
  ports,
  certs,
  services,
  kind,
  nodeCount,
  logLevel,
  federation,
}: {
  home: string;
  domain: string;
  ports: { xmpp: number; xmppTls: number; xmppHttp: number; xmppDist?: number };
  certs: CertPaths;
  /** The service accounts: exempt from rate limits. */
  services: readonly string[];
  kind: XmppServerKind;
  nodeCount: number;
  logLevel?: XmppServerOptions['logLevel'] | undefined;
  federation?: FederationOptions | undefined;
}): DeskXmpp {
  if (kind === 'ejabberd') requireEjabberd();
  if (nodeCount > 1 && kind !== 'ejabberd') throw new RangeError('only ejabberd runs as a cluster');
  const jid = (u: string) => `${u}@${domain}`;
  // Each server keeps its own folder (home/prosody, home/ejabberd): switching keeps both.
  const dir = join(home, kind);
  const node: XmppNode = {
    name: kind === 'ejabberd' ? ejabberdNodeName(dir) : 'prosody',
    c2sPort: ports.xmpp,
    c2sDirectTlsPort: ports.xmppTls,
    httpPort: ports.xmppHttp,
    distPort: ports.xmppDist ?? DEFAULT_XMPP_DIST_PORT,
  };
  const opts: XmppServerOptions = {
    dir,
    domain,
    c2sPort: node.c2sPort,
    c2sDirectTlsPort: node.c2sDirectTlsPort,
    httpPort: node.httpPort,
    distPort: node.distPort,
    nodeName: node.name,
    certs,
    admins: [jid('admin')],
    pubsubAdmins: [jid('feed'), jid('admin')],
    unlimited: services.map(jid),
    ...(logLevel ? { logLevel } : {}),
    ...(federation ? { federation } : {}),
  };
  const nodes: XmppNode[] = Array.from({ length: nodeCount }, (_, i) =>
    i === 0
      ? node
      : {
          name: ejabberdNodeName(`${dir}-${i + 1}`),
          c2sPort: node.c2sPort + i * XMPP_NODE_PORT_STEP,
          c2sDirectTlsPort: node.c2sDirectTlsPort + i * XMPP_NODE_PORT_STEP,
          httpPort: node.httpPort + i * XMPP_NODE_PORT_STEP,
          distPort: node.distPort + i * XMPP_NODE_PORT_STEP,
        },
  );
  // Node 1 keeps the single node's folder, name and data: a desk grows into a cluster.
  const cluster =
    nodeCount > 1
      ? ejabberdCluster(
          opts,
          nodes.map((n, i) => ({
            ...n,
            dir: i === 0 ? dir : `${dir}-${i + 1}`,
            ...(i > 0 ? { label: `node ${i + 1} (node 1's ports + ${i * XMPP_NODE_PORT_STEP})` } : {}),
            // Node i's s2s listener, like its client ports: TICKDESK_S2S_PORT + (i-1)·step.
            ...(federation ? { s2sPort: federation.s2sPort + i * XMPP_NODE_PORT_STEP } : {}),
          })),
          node.distPort - 1,
        )
      : undefined;
  const controls = cluster ? cluster.controls : [xmppServerControl(kind, opts)];
  return {
    nodes,
    controls,
    start: async (accounts) => (cluster ? cluster.start(accounts) : [await controls[0]!.start(accounts)]),
    stopEpmd: async () => cluster?.stopEpmd(),
  };
}
