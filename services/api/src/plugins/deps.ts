import fp from 'fastify-plugin';
import type { ApiConfig } from '../config.js';
import type { ApiDeps } from '../deps.js';
import { createEntitlements } from '../entitlements.js';
import type { ApiMetrics } from '../metrics.js';

/** Decorates `app.deps`, `app.config`, `app.metrics` and `app.entitlements`, and times every response. */
export default fp<{ deps: ApiDeps; config: ApiConfig; metrics: ApiMetrics; now?: () => number }>(
  async (app, { deps, config, metrics, now }) => {
    app.decorate('deps', deps);
    app.decorate('config', config);
    app.decorate('metrics', metrics);
    app.decorate(
      'entitlements',
      createEntitlements({ accounts: deps.accounts, ttlMs: config.entitlementCacheMs, ...(now ? { now } : {}) }),
    );
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.requests.observe(
        { method: request.method, route, status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
  },
  { name: 'tickdesk-deps', fastify: '5.x' },
);
