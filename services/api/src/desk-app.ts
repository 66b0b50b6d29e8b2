import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import {
  deskInstruments,
  parseDeskTopology,
  TOPOLOGY_FILE,
  xmppHttpOrigins,
  xmppServiceUrls,
  type DeskTopology,
  type Instrument,
} from '@tickdesk/schemas';
import {
  createAccountDirectory,
  createSessionOpener,
  type AccountDirectory,
  type SessionOpener,
} from '@tickdesk/accounts';
import {
  auditAnchorPath,
  createAlertStore,
  createAuditChain,
  createRuleStore,
  createSilenceStore,
  createWebhookStore,
  resolveWebhooksConfig,
  type WebhooksConfig,
} from '@tickdesk/alerts';
import { redisClientOptions } from '@tickdesk/infra';
import { createXmppClient, type XmppClient } from '@tickdesk/xmpp';
import { buildApp, type ApiApp } from './app.js';
import type { ApiConfig } from './config.js';
import { ApiError } from './errors.js';
import { deskDevices } from './desk-devices.js';
import { deskHealth } from './desk-health.js';
import { webhookPolicy } from './webhook-policy.js';
import { createXmppPasswordVerifier } from './xmpp-verify.js';

export interface ApiServerOptions {
  /** The desk's instruments; default: those of the topology (deskInstruments). */
  instruments?: readonly Instrument[];
  /** Where the desk's XMPP nodes, pubsub service, Redis, CA and credentials are; default: the topology file of the config (`tickdesk up` writes it). */
  topology?: DeskTopology;
  /** Webhook settings (TICKDESK_WEBHOOKS_*, the engine reads the same); default: their defaults. */
  webhooks?: WebhooksConfig;
}

/**
 * The desk's API, composed and not yet listening: Redis, the admin session, the stores,
 * the password check and the desk's health probe, handed to buildApp.
 */
export async function buildDeskApp(
  config: ApiConfig,
  log: Logger,
  {
    topology = readTopology(config),
    instruments = deskInstruments(topology),
    webhooks = resolveWebhooksConfig(),
  }: ApiServerOptions = {},
): Promise<{ app: ApiApp; close(): Promise<void> }> {
  if (config.secretGenerated)
    log.warn('TICKDESK_API_SECRET is not set: tokens are signed with a random key and end when the API restarts');
  if (config.redisPassword === undefined) {
    throw new ApiError(
      'TICKDESK_API_BAD_CONFIG',
      `no Redis password for user ${config.redisUser}: set TICKDESK_API_REDIS_PASSWORD, or TICKDESK_HOME to a desk folder whose credentials.json has one`,
    );
  }
  if (config.auditKey === undefined)
    log.warn('no audit key (TICKDESK_AUDIT_KEY or credentials.json): keyed audit records cannot be verified');
  const desk = deskFiles(topology);
  // Auto-pipelining: concurrent requests' commands share socket writes.
  const login = { username: config.redisUser, password: config.redisPassword };
  const redis = new Redis({
    ...redisClientOptions(topology.redis, login, desk.sentinelPassword()),
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
  });
  redis.on('error', (err: Error) => log.warn({ err }, 'redis connection error'));
  // Every node of a cluster: the admin session and password checks go to another node when theirs is down.
  const xmppServices = xmppServiceUrls(topology);
  const xmppService = xmppServices[0]!;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tickdesk_api_' });

  const admin = await adminSession(topology, desk, xmppServices, log);
  const accounts: AccountDirectory | undefined = admin
    ? createAccountDirectory({
        admin,
        redis,
        domain: topology.domain,
        pubsubHost: topology.pubsubHost,
        instruments,
        log,
        sessions: deskSessions(topology, desk, xmppService, log),
        peerDomains: topology.federation?.peers.map((p) => p.domain) ?? [],
        maxRemoteGrants: config.remoteGrantsMax,
      })
    : undefined;
  const devices = deskDevices(topology, desk, config.devicesMax, log);
  const app = await buildApp({
    deps: {
      redis,
      log,
      domain: topology.domain,
      instruments,
      peers: topology.federation?.peers.map((p) => p.domain) ?? [],
      rules: createRuleStore({ redis, maxRulesPerOwner: config.maxRulesPerTrader }),
      alerts: createAlertStore({ redis }),
      audit: createAuditChain({
        redis,
        anchorPath: auditAnchorPath(topology.paths.home),
        ...(config.auditKey ? { key: { key: config.auditKey, keyedFrom: config.auditKeyedFrom } } : {}),
      }),
      ...(accounts ? { accounts } : {}),
      ...(devices ? { devices } : {}),
      webhooks: {
        store: createWebhookStore({ redis, perOwnerMax: webhooks.perOwnerMax }),
        policy: webhookPolicy(topology, config, webhooks),
      },
      silences: {
        store: createSilenceStore({ redis, perTraderMax: config.silencesPerTraderMax }),
        maxSeconds: config.silenceMaxSeconds,
      },
    },
    config,
    verifyPassword: createXmppPasswordVerifier({
      service: xmppService,
      services: xmppServices,
      domain: topology.domain,
      ca: desk.ca(),
      log,
      timeoutMs: config.loginTimeoutMs,
    }),
    health: deskHealth({ home: topology.paths.home, xmppPort: topology.xmppNodes[0]!.c2sPort, redis }),
    metrics: registry,
    xmppWebsocket: xmppHttpOrigins(topology),
  });
  return {
    app,
    async close() {
      await app.close();
      await admin?.stop();
      redis.disconnect();
    },
  };
}

/**
 * A session as the server admin for account administration (XEP-0133, affiliations),
 * with the password from the desk's credentials file; without one the admin routes
 * answer 503 and everything else works.
 */
async function adminSession(
  topology: DeskTopology,
  desk: DeskFiles,
  services: readonly string[],
  log: Logger,
): Promise<XmppClient | undefined> {
  const password = desk.password('admin');
  if (!password) {
    log.warn('no admin credentials in the desk folder: user and entitlement administration is unavailable');
    return undefined;
  }
  const ca = desk.ca();
  const client = createXmppClient({
    service: services[0]!,
    services,
    domain: topology.domain,
    username: 'admin',
    password,
    log,
    resource: 'api',
    ...(ca ? { ca } : {}),
  });
  try {
    await client.start();
    return client;
  } catch (err) {
    log.warn({ err }, 'admin session failed: user and entitlement administration is unavailable');
    return undefined;
  }
}

/**
 * Sessions for a new trader's presence links: the alert engine's account and the desk's
 * traders, with the passwords of the desk's credentials file, read when needed.
 */
function deskSessions(topology: DeskTopology, desk: DeskFiles, service: string, log: Logger): SessionOpener {
  const ca = desk.ca();
  return createSessionOpener({
    service,
    domain: topology.domain,
    log,
    ...(ca ? { ca } : {}),
    passwordOf: (user) => desk.password(user),
  });
}

interface DeskFiles {
  ca(): string | undefined;
  password(user: string): string | undefined;
  mqttPassword(user: string): string | undefined;
  sentinelPassword(): string | undefined;
}

/** The runtime folder's CA and credentials, at the topology's paths, read when needed (a missing file gives nothing). */
function deskFiles(topology: DeskTopology): DeskFiles {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const creds = () => {
    try {
      return JSON.parse(read(topology.paths.credentials) ?? '{}') as {
        accounts?: Record<string, { password?: string }>;
        redis?: { sentinelPassword?: string };
        mqtt?: { users?: Record<string, string> };
      };
    } catch {
      return {};
    }
  };
  return {
    ca: () => read(topology.paths.ca), // undefined: the system store then
    password: (user) => creds().accounts?.[user]?.password,
    mqttPassword: (user) => creds().mqtt?.users?.[user],
    sentinelPassword: () => creds().redis?.sentinelPassword,
  };
}

/** The desk's topology as `tickdesk up` wrote it (TICKDESK_TOPOLOGY, else topology.json in TICKDESK_HOME). */
function readTopology(config: ApiConfig): DeskTopology {
  const path = config.topology || join(config.home, TOPOLOGY_FILE);
  try {
    return parseDeskTopology(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ApiError(
      'TICKDESK_API_BAD_CONFIG',
      `no readable desk topology at ${path} (${(err as Error).message}): start the desk with tickdesk up, which writes it, or set TICKDESK_TOPOLOGY`,
    );
  }
}
