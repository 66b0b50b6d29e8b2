import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  ejabberdCluster,
  ejabberdNodeName,
  ensureCertificates,
  redisConnection,
  redisServiceUsers,
  requireEjabberd,
  redisUrl,
  startRedis,
  startRedisSentinelSet,
  type ManagedProcess,
  xmppServerControl,
  type RedisServer,
  type RedisUser,
  type RestartOptions,
  type XmppNode,
  type XmppServer,
  type XmppServerKind,
  type XmppServerOptions,
  type FederationOptions,
} from '@tickdesk/infra';
import { auditKeys } from '@tickdesk/alerts';
import { XMPP_NODE_PORT_STEP } from './config.js';
import {
  account,
  loadOrCreateCredentials,
  saveCredentials,
  SERVICE_ACCOUNTS,
  type Credentials,
} from './credentials.js';
import { privateFolder } from './private-folder.js';

export interface DeskPorts {
  xmpp: number;
  xmppTls: number;
  xmppHttp: number;
  /** Erlang distribution port of ejabberd (loopback; unused by Prosody). */
  xmppDist?: number;
  redis: number;
}

/**
 * One Redis process of the desk: its part name, log, the process running now, and a restart
 * with the same config, data and port (a Sentinel desk's data node in the role the sentinels
 * give it: infra/src/redis-rejoin.ts).
 */
export interface DeskRedisPart {
  readonly name: string;
  readonly logPath: string;
  readonly process: ManagedProcess;
  restart(opts?: RestartOptions): Promise<ManagedProcess>;
}

/** Redis's layout: one server (single), or a primary, its replica and three sentinels (sentinel). */
export interface DeskRedisSetup {
  mode: 'single' | 'sentinel';
  replicaPort?: number;
  sentinelPorts?: readonly number[];
  downAfterMs?: number;
}

/** The default distribution port of a desk's ejabberd (TICKDESK_XMPP_DIST_PORT). */
export const DEFAULT_XMPP_DIST_PORT = 5210;

export interface DeskInfra {
  home: string;
  domain: string;
  pubsubHost: string;
  service: string;
  ca: string;
  caPath: string;
  credentialsPath: string;
  credentials: Credentials;
  /** Which XMPP server runs, and its nodes (one today; a cluster lists each with its ports). */
  xmppServer: XmppServerKind;
  xmppNodes: readonly XmppNode[];
  /** The running servers; a restart replaces them. `xmpp` is node 1, `xmppServers` every node. */
  readonly xmpp: XmppServer;
  readonly xmppServers: readonly XmppServer[];
  /** Start node `i` (from 0) again with its config, data and ports; node 2 and up rejoin node 1 if they must. */
  restartXmppNode(i: number): Promise<XmppServer>;
  /** Stop a cluster's epmd once its nodes have stopped (nothing for one node). */
  stopEpmd(): Promise<void>;
  /** Redis at start (the primary in Sentinel mode: the one provisioning writes to). */
  readonly redis: RedisServer;
  /** Each Redis process as `up` supervises it: `redis`, and in Sentinel mode `redis-replica`, `sentinel-1`…`sentinel-3`. */
  readonly redisParts: readonly DeskRedisPart[];
  /** Start the XMPP server again with the same rendered config, data, ports and certificates (after it died). */
  restartXmpp(): Promise<XmppServer>;
  /** Start Redis again with the same config, AOF and port (after it died). */
  restartRedis(): Promise<RedisServer>;
  stop(): Promise<void>;
}

/**
 * Start the desk's private XMPP server (Prosody or ejabberd) and Redis under `home`
 * (config, data, certificates, credentials), creating the server-side bootstrap
 * accounts on first start.
 */
export async function startDeskInfra({
  home,
  domain,
  ports,
  logLevel,
  redisUsers = [],
  xmppServer = 'prosody',
  xmppNodeCount = 1,
  redisSetup = { mode: 'single' },
  federation,
}: {
  /** Server-to-server links with partner desks (Prosody; the topology's federation part). */
  federation?: FederationOptions | undefined;
  redisSetup?: DeskRedisSetup;
  home: string;
  /** ejabberd nodes joined into one cluster (node i on each port + (i-1)·XMPP_NODE_PORT_STEP, their epmd on the distribution port − 1). */
  xmppNodeCount?: number;
  domain: string;
  ports: DeskPorts;
  logLevel?: XmppServerOptions['logLevel'];
  xmppServer?: XmppServerKind;
  /** Redis users beside the desk's own (tests add one that may FLUSH). */
  redisUsers?: readonly RedisUser[];
}): Promise<DeskInfra> {
  privateFolder(home);
  const credentialsPath = join(home, 'credentials.json');
  const { credentials } = loadOrCreateCredentials(credentialsPath, domain);
  const certs = ensureCertificates(join(home, 'certs'), domain);
  const jid = (u: string) => `${u}@${domain}`;
  const services = SERVICE_ACCOUNTS.map(([u]) => u);
  // Each server keeps its own folder (home/prosody, home/ejabberd): switching keeps both.
  const dir = join(home, xmppServer);
  const node: XmppNode = {
    name: xmppServer === 'ejabberd' ? ejabberdNodeName(dir) : 'prosody',
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
  // The desk user first: startRedis checks readiness as it, and redis.url carries its login.
  const redisOpts = {
    dir: join(home, 'redis'),
    port: ports.redis,
    users: [...redisServiceUsers(credentials.redis), ...redisUsers],
  };
  // Said before anything starts: this setting needs ejabberd.
  if (xmppServer === 'ejabberd') requireEjabberd();
  const started = await startDeskRedis(home, redisOpts, redisSetup, credentials);
  let redis = started.redis;
  const redisParts = started.parts;
  if (xmppNodeCount > 1 && xmppServer !== 'ejabberd') throw new RangeError('only ejabberd runs as a cluster');
  const nodes: XmppNode[] = Array.from({ length: xmppNodeCount }, (_, i) =>
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
    xmppNodeCount > 1
      ? ejabberdCluster(
          opts,
          nodes.map((n, i) => ({
            ...n,
            dir: i === 0 ? dir : `${dir}-${i + 1}`,
            ...(i > 0 ? { label: `node ${i + 1} (node 1's ports + ${i * XMPP_NODE_PORT_STEP})` } : {}),
          })),
          node.distPort - 1,
        )
      : undefined;
  const controls = cluster ? cluster.controls : [xmppServerControl(xmppServer, opts)];
  const servers: XmppServer[] = [];
  try {
    await anchorAuditKey(credentialsPath, credentials, redis);
    // Bootstrap accounts are made by the server's own tool (prosodyctl, ejabberdctl);
    // every other account is made over XMPP with XEP-0133 by the admin account.
    const accounts = services.map((u) => [u, account(credentials, u).password] as const);
    servers.push(...(cluster ? await cluster.start(accounts) : [await controls[0]!.start(accounts)]));
  } catch (err) {
    await redis.stop();
    throw err;
  }
  return {
    home,
    domain,
    pubsubHost: `pubsub.${domain}`,
    service: `xmpp://127.0.0.1:${ports.xmpp}`,
    ca: readFileSync(certs.caCert, 'utf8'),
    caPath: certs.caCert,
    credentialsPath,
    credentials,
    xmppServer,
    xmppNodes: nodes,
    get xmpp() {
      return servers[0]!;
    },
    get xmppServers() {
      return servers;
    },
    async restartXmppNode(i: number) {
      servers[i] = await controls[i]!.start();
      return servers[i];
    },
    get redis() {
      return redis;
    },
    redisParts,
    stopEpmd: async () => cluster?.stopEpmd(),
    async restartXmpp() {
      servers[0] = await controls[0]!.start();
      return servers[0];
    },
    async restartRedis() {
      if (redisSetup.mode === 'sentinel') {
        await redisParts[0]!.restart();
        return redis;
      }
      redis = await startRedis(redisOpts);
      return redis;
    },
    async stop() {
      for (const s of [...servers].reverse()) await s.stop();
      await cluster?.stopEpmd();
      await redis.stop();
    },
  };
}

/** One redis-server, or the Sentinel set (its primary on `opts.port`); `redis` describes the primary as it was started. */
async function startDeskRedis(
  home: string,
  opts: { dir: string; port: number; users: RedisUser[] },
  setup: DeskRedisSetup,
  credentials: Credentials,
): Promise<{ redis: RedisServer; parts: DeskRedisPart[] }> {
  if (setup.mode === 'single') {
    let server = await startRedis(opts);
    const part: DeskRedisPart = {
      name: 'redis',
      logPath: join(opts.dir, 'redis.log'),
      get process() {
        return server.process;
      },
      async restart() {
        server = await startRedis(opts);
        return server.process;
      },
    };
    return { redis: server, parts: [part] };
  }
  const set = await startRedisSentinelSet({
    home,
    users: opts.users,
    credentials: credentials.redis,
    ports: { primary: opts.port, replica: setup.replicaPort ?? opts.port + 1, sentinels: setup.sentinelPorts ?? [] },
    ...(setup.downAfterMs ? { downAfterMs: setup.downAfterMs } : {}),
  });
  const login = { username: opts.users[0]!.name, password: opts.users[0]!.password };
  const parts = set.parts.map((p): DeskRedisPart => ({
    name: p.name,
    logPath: p.logPath,
    get process() {
      return p.process;
    },
    restart: (o) => p.restart(o),
  }));
  // Provisioning and the audit anchor talk to the primary of the start (after a fail-over, the
  // server on the replica's port), as the sentinels name it; services go through the sentinels.
  const port = (await set.primaryPort()) ?? opts.port;
  const primary = set.parts.find((p) => p.port === port) ?? set.parts[0]!;
  return {
    redis: {
      port,
      url: redisUrl(port, login),
      login,
      get process() {
        return primary.process;
      },
      stop: () => set.stop(),
    },
    parts,
  };
}

/**
 * An audit key added to an older desk's credentials covers the records appended from now
 * on: note the first such seq in the credentials file (outside Redis), so that a chain
 * rewritten later as unkeyed records fails verification from there.
 */
export async function anchorAuditKey(path: string, credentials: Credentials, server: RedisServer): Promise<void> {
  if (credentials.audit.keyedFrom !== undefined) return;
  const redis = new Redis({
    ...redisConnection(server.port, server.login),
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  try {
    await redis.connect();
    const seq = Number((await redis.hget(auditKeys().head, 'seq')) ?? 0);
    credentials.audit.keyedFrom = seq + 1;
    saveCredentials(path, credentials);
  } finally {
    redis.disconnect();
  }
}
