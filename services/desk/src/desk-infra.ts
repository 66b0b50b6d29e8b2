import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  ensureCertificates,
  redisConnection,
  redisServiceUsers,
  registerAccount,
  startProsody,
  startRedis,
  writeProsodyConfig,
  type ProsodyOptions,
  type ProsodyServer,
  type RedisServer,
  type RedisUser,
} from '@tickdesk/infra';
import { auditKeys } from '@tickdesk/alerts';
import { account, loadOrCreateCredentials, saveCredentials, SERVICE_ACCOUNTS, type Credentials } from './credentials.js';

export interface DeskPorts {
  xmpp: number;
  xmppTls: number;
  xmppHttp: number;
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
  /** The running servers; a restart replaces them. */
  readonly prosody: ProsodyServer;
  readonly redis: RedisServer;
  /** Start Prosody again with the same rendered config, data, ports and certificates (after it died). */
  restartProsody(): Promise<ProsodyServer>;
  /** Start Redis again with the same config, AOF and port (after it died). */
  restartRedis(): Promise<RedisServer>;
  stop(): Promise<void>;
}

/**
 * Start the desk's private Prosody and Redis under `home` (config, data, certificates,
 * credentials), creating the server-side bootstrap accounts on first start.
 */
export async function startDeskInfra({ home, domain, ports, logLevel, redisUsers = [] }: {
  home: string;
  domain: string;
  ports: DeskPorts;
  logLevel?: ProsodyOptions['logLevel'];
  /** Redis users beside the desk's own (tests add one that may FLUSH). */
  redisUsers?: readonly RedisUser[];
}): Promise<DeskInfra> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const credentialsPath = join(home, 'credentials.json');
  const { credentials } = loadOrCreateCredentials(credentialsPath, domain);
  const certs = ensureCertificates(join(home, 'certs'), domain);
  const jid = (u: string) => `${u}@${domain}`;
  const services = SERVICE_ACCOUNTS.map(([u]) => u);
  const opts: ProsodyOptions = {
    dir: join(home, 'prosody'),
    domain,
    c2sPort: ports.xmpp,
    c2sDirectTlsPort: ports.xmppTls,
    httpPort: ports.xmppHttp,
    certs,
    admins: [jid('admin')],
    pubsubAdmins: [jid('feed'), jid('admin')],
    unlimited: services.map(jid),
    ...(logLevel ? { logLevel } : {}),
  };
  // The desk user first: startRedis checks readiness as it, and redis.url carries its login.
  const redisOpts = { dir: join(home, 'redis'), port: ports.redis, users: [...redisServiceUsers(credentials.redis), ...redisUsers] };
  let redis = await startRedis(redisOpts);
  let prosody: ProsodyServer;
  try {
    await anchorAuditKey(credentialsPath, credentials, redis);
    // Bootstrap accounts are written to storage directly (prosodyctl); every other
    // account is made over XMPP with XEP-0133 by the admin account.
    const configPath = writeProsodyConfig(opts);
    for (const u of services) await registerAccount(configPath, domain, u, account(credentials, u).password);
    prosody = await startProsody(opts);
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
    get prosody() {
      return prosody;
    },
    get redis() {
      return redis;
    },
    async restartProsody() {
      prosody = await startProsody(opts);
      return prosody;
    },
    async restartRedis() {
      redis = await startRedis(redisOpts);
      return redis;
    },
    async stop() {
      await prosody.stop();
      await redis.stop();
    },
  };
}

/**
 * An audit key added to an older desk's credentials covers the records appended from now
 * on: note the first such seq in the credentials file (outside Redis), so that a chain
 * rewritten later as unkeyed records fails verification from there.
 */
export async function anchorAuditKey(path: string, credentials: Credentials, server: RedisServer): Promise<void> {
  if (credentials.audit.keyedFrom !== undefined) return;
  const redis = new Redis({ ...redisConnection(server.port, server.login), lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const seq = Number((await redis.hget(auditKeys().head, 'seq')) ?? 0);
    credentials.audit.keyedFrom = seq + 1;
    saveCredentials(path, credentials);
  } finally {
    redis.disconnect();
  }
}
