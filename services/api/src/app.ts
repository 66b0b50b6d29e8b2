import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  type RawServerDefault,
} from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import type { ApiConfig } from './config.js';
import type { ApiDeps } from './deps.js';
import { frameworkErrors, installErrorHandlers } from './error-handler.js';
import { createApiMetrics } from './metrics.js';
import authPlugin from './plugins/auth.js';
import { createDashboard } from './plugins/dashboard.js';
import depsPlugin from './plugins/deps.js';
import { registerOpenApi } from './plugins/openapi.js';
import { registerRateLimits } from './plugins/rate-limits.js';
import routeDefaults from './plugins/route-defaults.js';
import { registerWebsocketProxy } from './plugins/websocket-proxy.js';
import authRoutes, { type VerifyPassword } from './routes/auth.js';
import { DESK_ROUTES } from './routes/desk-routes.js';
import healthRoutes, { type HealthProbe } from './routes/health.js';
import instrumentRoutes from './routes/instruments.js';
import { createTokenSigner } from './token.js';
import { validatorCompiler } from './validation.js';
import './fastify-types.js';

export const API_VERSION = '1.0.0';

export interface BuildAppOptions {
  deps: ApiDeps;
  config: ApiConfig;
  verifyPassword: VerifyPassword;
  /** States of XMPP, feeds, engine… for /health; Redis is probed by the API itself. */
  health?: HealthProbe;
  /** The route plugins under /v1 after auth and instruments: DESK_ROUTES unless a test mounts others. */
  routes?: FastifyPluginAsync[];
  /** Where metrics are registered (a fresh registry by default). */
  metrics?: Registry;
  /** Clock for tokens and the role cache (tests). */
  now?: () => number;
  /**
   * The XMPP server's HTTP base (e.g. http://127.0.0.1:5280): /xmpp-websocket is proxied
   * to it (RFC 7395), so a browser needs one origin and one port.
   */
  xmppWebsocket?: string | readonly string[];
}

export type ApiApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * The REST API as a fastify instance that never listens (server.ts does): external
 * plugins, then the app's services, then every route (health, auth, instruments and
 * DESK_ROUTES under /v1).
 */
export async function buildApp(opts: BuildAppOptions): Promise<ApiApp> {
  const { deps, config } = opts;
  // Typed as fastify's logger so that the instance is the FastifyInstance every plugin takes (not one over pino's Logger).
  const log: FastifyBaseLogger = deps.log.child({ component: 'api' });
  const app = Fastify({
    loggerInstance: log,
    // Per-request lines would dominate the log at desk rates; metrics count requests, errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimit,
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // JSON only: any other body type is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  const dashboard = createDashboard({ dir: config.uiDir });
  installErrorHandlers(app, dashboard.fallback);
  const tokens = createTokenSigner({
    secret: config.secret,
    ttlS: config.tokenTtlS,
    ...(opts.now ? { now: opts.now } : {}),
  });

  // External plugins.
  await app.register(routeDefaults);
  await registerOpenApi(app, API_VERSION);
  await registerRateLimits(app, { config, redis: deps.redis, tokens });

  // App services.
  await app.register(depsPlugin, {
    deps,
    config,
    metrics: createApiMetrics(opts.metrics),
    ...(opts.now ? { now: opts.now } : {}),
  });
  await app.register(authPlugin, { tokens, ...(opts.now ? { now: opts.now } : {}) });

  if (opts.xmppWebsocket) {
    await registerWebsocketProxy(app, { upstream: opts.xmppWebsocket, config, domain: opts.deps.domain });
  }

  // Routes.
  await dashboard.register(app);
  await app.register(healthRoutes, { ...(opts.health ? { health: opts.health } : {}) });
  await app.register(
    async (v1) => {
      await v1.register(authRoutes, { verifyPassword: opts.verifyPassword });
      await v1.register(instrumentRoutes);
      for (const routes of opts.routes ?? DESK_ROUTES) await v1.register(routes);
    },
    { prefix: '/v1' },
  );
  return app;
}
