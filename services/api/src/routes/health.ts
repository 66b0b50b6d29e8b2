import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses } from '../errors.js';
import { HealthReport } from '@tickdesk/schemas/rest';
import { probeDesk, type HealthProbe } from '../health-probes.js';

export { ComponentHealth, type HealthProbe } from '../health-probes.js';

/** The body is shared with the dashboard, which is typed from it. */
const Health = HealthReport;

/**
 * GET /health (no token: load balancers and the CLI poll it; states only, no
 * internals) and GET /metrics (Prometheus text, no token: the API binds to
 * 127.0.0.1 by default; put /metrics behind the proxy's access rules when exposed).
 */
const healthRoutes: FastifyPluginAsyncTypebox<{ health?: HealthProbe }> = async (app, { health }) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['operations'],
        summary: "Each component's state; 503 unless all are running",
        response: { 200: Health, 503: { ...Health, description: 'At least one component is not running' } },
      },
    },
    async (_request, reply) => {
      const { ok, components } = await probeDesk({
        redis: app.deps.redis,
        log: app.log,
        ...(health ? { probe: health } : {}),
      });
      return reply
        .code(ok ? 200 : 503)
        .send({ status: ok ? 'ok' : 'degraded', time: new Date().toISOString(), components });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        response: {
          200: { description: 'Prometheus text format', content: { 'text/plain': { schema: Type.String() } } },
          ...errorResponses(500),
        },
      },
    },
    async (_request, reply) => {
      const { registry } = app.metrics;
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );
};

export default healthRoutes;
