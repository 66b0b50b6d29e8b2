import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses } from '../errors.js';

export const ComponentState = Type.Union([Type.Literal('starting'), Type.Literal('running'), Type.Literal('degraded'), Type.Literal('stopped')]);
export type ComponentState = Static<typeof ComponentState>;

export const ComponentHealth = Type.Object(
  {
    state: ComponentState,
    detail: Type.Optional(Type.String({ maxLength: 300 })),
    latencyMs: Type.Optional(Type.Number({ minimum: 0 })),
    /** Restarts of the component's process by `tickdesk up`, its last exit (`SIGKILL`, `exit 1`) and restart time. */
    restarts: Type.Optional(Type.Integer({ minimum: 0 })),
    lastExit: Type.Optional(Type.String({ maxLength: 200 })),
    lastRestartAt: Type.Optional(Type.String({ maxLength: 40 })),
    /** A Sentinel desk's Redis processes: which one is the primary now. */
    role: Type.Optional(Type.Union([Type.Literal('primary'), Type.Literal('replica')])),
  },
  { additionalProperties: false },
);
export type ComponentHealth = Static<typeof ComponentHealth>;

/** States of the components the API cannot see itself (XMPP, feeds, engine…), by name. */
export type HealthProbe = () => Promise<Record<string, ComponentHealth>>;

const Health = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
    time: Type.String(),
    components: Type.Record(Type.String(), ComponentHealth),
  },
  { additionalProperties: false },
);

const PROBE_TIMEOUT_MS = 1_500;

/**
 * GET /health (no token: load balancers and the CLI poll it; states only, no
 * internals) and GET /metrics (Prometheus text, no token: the API binds to
 * 127.0.0.1 by default; put /metrics behind the proxy's access rules when exposed).
 */
const healthRoutes: FastifyPluginAsyncTypebox<{ health?: HealthProbe }> = async (app, { health }) => {
  app.get('/health', {
    schema: {
      tags: ['operations'],
      summary: "Each component's state; 503 unless all are running",
      response: { 200: Health, 503: { ...Health, description: 'At least one component is not running' } },
    },
  }, async (_request, reply) => {
    const [redis, others] = await Promise.all([probeRedis(), probeOthers(health)]);
    // The probe may add the Redis process's restarts; the state is this process's own PING.
    const { restarts, lastExit, lastRestartAt, role } = others.redis ?? {};
    const components = { ...others, redis: { ...redis, ...defined({ restarts, lastExit, lastRestartAt, role }) } };
    const ok = Object.values(components).every((c) => c.state === 'running');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', time: new Date().toISOString(), components });
  });

  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      summary: 'Prometheus metrics (text exposition format)',
      response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: Type.String() } } }, ...errorResponses(500) },
    },
  }, async (_request, reply) => {
    const { registry } = app.metrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });

  async function probeRedis(): Promise<ComponentHealth> {
    const start = performance.now();
    try {
      await withTimeout(app.deps.redis.ping(), 'PING');
      return { state: 'running', latencyMs: Math.round((performance.now() - start) * 100) / 100 };
    } catch (err) {
      return { state: 'degraded', detail: `Redis: ${(err as Error).message}`.slice(0, 300) };
    }
  }

  async function probeOthers(probe: HealthProbe | undefined): Promise<Record<string, ComponentHealth>> {
    if (!probe) return {};
    try {
      return await withTimeout(probe(), 'health probe');
    } catch (err) {
      app.log.warn({ err }, 'health probe failed');
      return { components: { state: 'degraded', detail: 'the health probe failed' } };
    }
  }
};

const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export default healthRoutes;
