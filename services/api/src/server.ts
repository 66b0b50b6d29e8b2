import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DEFAULT_INSTRUMENTS, type Instrument } from '@tickdesk/schemas';
import { createAccountDirectory, createSessionOpener, type AccountDirectory, type SessionOpener } from '@tickdesk/accounts';
import { auditAnchorPath, createAlertStore, createAuditChain, createRuleStore } from '@tickdesk/alerts';
import { createXmppClient, type XmppClient } from '@tickdesk/xmpp';
import { buildApp, type ApiApp } from './app.js';
import { loadApiConfig, type ApiConfig } from './config.js';
import { ApiError } from './errors.js';
import { deskHealth } from './desk-health.js';
import { DESK_ROUTES } from './routes/desk-routes.js';
import { createXmppPasswordVerifier } from './xmpp-verify.js';

export interface ApiServerOptions {
  /** The desk's instruments (DEFAULT_INSTRUMENTS unless a desk runs with others). */
  instruments?: readonly Instrument[];
}

/** Connects Redis, builds the app and listens. */
export async function startApiServer(
  config: ApiConfig,
  log: Logger,
  { instruments = DEFAULT_INSTRUMENTS }: ApiServerOptions = {},
): Promise<{ app: ApiApp; close(): Promise<void> }> {
  if (config.secretGenerated) log.warn('TICKDESK_API_SECRET is not set: tokens are signed with a random key and end when the API restarts');
  if (config.redisPassword === undefined) {
    throw new ApiError('TICKDESK_API_BAD_CONFIG', `no Redis password for user ${config.redisUser}: set TICKDESK_API_REDIS_PASSWORD, or TICKDESK_HOME to a desk folder whose credentials.json has one`);
  }
  if (config.auditKey === undefined) log.warn('no audit key (TICKDESK_AUDIT_KEY or credentials.json): keyed audit records cannot be verified');
  // Auto-pipelining: concurrent requests' commands share socket writes.
  const redis = new Redis({ host: '127.0.0.1', port: config.redisPort, username: config.redisUser, password: config.redisPassword, maxRetriesPerRequest: 2, enableAutoPipelining: true });
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
  const xmppService = `xmpp://127.0.0.1:${config.xmppPort}`;
  // Every node of a cluster (+ 100 per node, as the desk gives them): the admin session and
  // password checks go to another node when theirs is down.
  const xmppServices = Array.from({ length: config.xmppNodes }, (_, i) => `xmpp://127.0.0.1:${config.xmppPort + i * 100}`);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tickdesk_api_' });

  const admin = await adminSession(config, xmppServices, log);
  const accounts: AccountDirectory | undefined = admin
    ? createAccountDirectory({ admin, redis, domain: config.domain, pubsubHost: `pubsub.${config.domain}`, instruments, log, sessions: deskSessions(config, xmppService, log) })
    : undefined;
  const app = await buildApp({
    deps: {
      redis,
      log,
      domain: config.domain,
      instruments,
      rules: createRuleStore({ redis, maxRulesPerOwner: config.maxRulesPerTrader }),
      alerts: createAlertStore({ redis }),
      audit: createAuditChain({ redis, anchorPath: auditAnchorPath(config.home), ...(config.auditKey ? { key: { key: config.auditKey, keyedFrom: config.auditKeyedFrom } } : {}) }),
      ...(accounts ? { accounts } : {}),
    },
    config,
    verifyPassword: createXmppPasswordVerifier({ service: xmppService, services: xmppServices, domain: config.domain, ca: readCa(config), log, timeoutMs: config.loginTimeoutMs }),
    health: deskHealth({ home: config.home, xmppPort: config.xmppPort, redis }),
    metrics: registry,
    routes: DESK_ROUTES,
    // The desk's node ports (services/desk/src/config.ts, XMPP_NODE_PORT_STEP): + 100 per node.
    xmppWebsocket: Array.from({ length: config.xmppNodes }, (_, i) => `http://127.0.0.1:${config.xmppHttpPort + i * 100}`),
  });
  await app.listen({ port: config.port, host: config.host });
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
async function adminSession(config: ApiConfig, services: readonly string[], log: Logger): Promise<XmppClient | undefined> {
  let password: string | undefined;
  try {
    const creds = JSON.parse(readFileSync(join(config.home, 'credentials.json'), 'utf8')) as { accounts?: Record<string, { password?: string }> };
    password = creds.accounts?.admin?.password;
  } catch {
    password = undefined;
  }
  if (!password) {
    log.warn('no admin credentials in the desk folder: user and entitlement administration is unavailable');
    return undefined;
  }
  const ca = readCa(config);
  const client = createXmppClient({ service: services[0]!, services, domain: config.domain, username: 'admin', password, log, resource: 'api', ...(ca ? { ca } : {}) });
  try {
    await client.start();
    return client;
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'admin session failed: user and entitlement administration is unavailable');
    return undefined;
  }
}

/**
 * Sessions for a new trader's presence links: the alert engine's account and the desk's
 * traders, with the passwords of the desk's credentials file, read when needed.
 */
function deskSessions(config: ApiConfig, service: string, log: Logger): SessionOpener {
  const ca = readCa(config);
  return createSessionOpener({
    service, domain: config.domain, log, ...(ca ? { ca } : {}),
    passwordOf: (user) => {
      try {
        const creds = JSON.parse(readFileSync(join(config.home, 'credentials.json'), 'utf8')) as { accounts?: Record<string, { password?: string }> };
        return creds.accounts?.[user]?.password;
      } catch {
        return undefined;
      }
    },
  });
}

function readCa(config: ApiConfig): string | undefined {
  try {
    return readFileSync(join(config.home, 'certs', 'ca.crt'), 'utf8');
  } catch {
    return undefined; // the system store then
  }
}

async function main(): Promise<void> {
  let log = pino();
  let server: Awaited<ReturnType<typeof startApiServer>>;
  try {
    const config = loadApiConfig(process.env);
    log = pino({ level: config.logLevel });
    server = await startApiServer(config, log);
  } catch (err) {
    log.fatal({ err }, (err as Error).message);
    process.exit(1);
  }
  const { port, host } = server.app.config;
  log.info({ url: `http://${host}:${port}`, docs: `http://${host}:${port}/docs` }, 'REST API listening');
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'closing: finishing in-flight requests');
    // Streams that never end must not hold the process: 10 s, then out.
    setTimeout(() => process.exit(0), 10_000).unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
