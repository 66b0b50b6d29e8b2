import fp from 'fastify-plugin';
import type { ApiConfig } from '../config.js';
import type { ApiDeps } from '../deps.js';
import type { ApiMetrics } from '../metrics.js';

/** Decorates `app.deps`, `app.config` and `app.metrics`, and times every response. */
export default fp<{ deps: ApiDeps; config: ApiConfig; metrics: ApiMetrics }>(
  async (app, { deps, config, metrics }) => {
    app.decorate('deps', deps);
    app.decorate('config', config);
    app.decorate('metrics', metrics);
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.requests.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
  },
  { name: 'tickdesk-deps', fastify: '5.x' },
);
