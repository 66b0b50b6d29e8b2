import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ensureCertificates,
  type CertLog,
  redisServiceUsers,
  startRedis,
  type RedisServer,
  type RedisUser,
  type XmppNode,
  type XmppServer,
  type XmppServerKind,
  type XmppServerOptions,
  type FederationOptions,
} from '@tickdesk/infra';
import { anchorAuditKey } from './audit-anchor.js';
import { account, loadOrCreateCredentials, SERVICE_ACCOUNTS, type Credentials } from './credentials.js';
import { startDeskRedis, type DeskRedisPart, type DeskRedisSetup } from './desk-redis.js';
import { deskXmpp } from './desk-xmpp.js';
import { privateFolder } from './private-folder.js';

export interface DeskPorts {
  xmpp: number;
  xmppTls: number;
  xmppHttp: number;
  /** Erlang distribution port of ejabberd (loopback; unused by Prosody). */
  xmppDist?: number;
  redis: number;
}

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
  log,
}: {
  /** Where a re-issued server certificate is said (ensureCertificates). */
  log?: CertLog;
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
  const certs = ensureCertificates(join(home, 'certs'), domain, { log });
  const services = SERVICE_ACCOUNTS.map(([u]) => u);
  // Said before anything starts: a setting this machine cannot run.
  const xmpp = deskXmpp({
    home,
    domain,
    ports,
    certs,
    services,
    kind: xmppServer,
    nodeCount: xmppNodeCount,
    logLevel,
    federation,
  });
  // The desk user first: startRedis checks readiness as it, and redis.url carries its login.
  const redisOpts = {
    dir: join(home, 'redis'),
    port: ports.redis,
    users: [...redisServiceUsers(credentials.redis), ...redisUsers],
  };
  const started = await startDeskRedis(home, redisOpts, redisSetup, credentials);
  let redis = started.redis;
  const redisParts = started.parts;
  const servers: XmppServer[] = [];
  try {
    await anchorAuditKey(credentialsPath, credentials, redis);
    // Bootstrap accounts are made by the server's own tool (prosodyctl, ejabberdctl);
    // every other account is made over XMPP with XEP-0133 by the admin account.
    servers.push(...(await xmpp.start(services.map((u) => [u, account(credentials, u).password] as const))));
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
    xmppNodes: xmpp.nodes,
    get xmpp() {
      return servers[0]!;
    },
    get xmppServers() {
      return servers;
    },
    async restartXmppNode(i: number) {
      servers[i] = await xmpp.controls[i]!.start();
      return servers[i];
    },
    get redis() {
      return redis;
    },
    redisParts,
    stopEpmd: () => xmpp.stopEpmd(),
    async restartXmpp() {
      servers[0] = await xmpp.controls[0]!.start();
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
      await xmpp.stopEpmd();
      await redis.stop();
    },
  };
}
