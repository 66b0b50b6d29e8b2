import type { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import type { ComponentHealth } from '@tickdesk/schemas/rest';

// /health's body schemas are shared with the dashboard, which is typed from them.
export { ComponentHealth, ComponentState } from '@tickdesk/schemas/rest';

/** States of the components the API cannot see itself (XMPP, feeds, engine…), by name. */
export type HealthProbe = () => Promise<Record<string, ComponentHealth>>;

const PROBE_TIMEOUT_MS = 1_500;

/**
 * Every component's state: Redis by this process's own PING (with the restarts the desk
 * probe recorded for the Redis process), the rest from the desk probe; a probe that fails
 * or takes over PROBE_TIMEOUT_MS reports degraded rather than holding /health.
 */
export async function probeDesk({
  redis,
  probe,
  log,
}: {
  redis: Redis;
  probe?: HealthProbe;
  log: FastifyBaseLogger;
}): Promise<{ ok: boolean; components: Record<string, ComponentHealth> }> {
  const [own, others] = await Promise.all([probeRedis(redis), probeOthers(probe, log)]);
  const { restarts, lastExit, lastRestartAt, role } = others.redis ?? {};
  const components = { ...others, redis: { ...own, ...defined({ restarts, lastExit, lastRestartAt, role }) } };
  return { ok: Object.values(components).every((c) => c.state === 'running'), components };
}

async function probeRedis(redis: Redis): Promise<ComponentHealth> {
  const start = performance.now();
  try {
    await withTimeout(redis.ping(), 'PING');
    return { state: 'running', latencyMs: Math.round((performance.now() - start) * 100) / 100 };
  } catch (err) {
    return { state: 'degraded', detail: `Redis: ${(err as Error).message}`.slice(0, 300) };
  }
}

async function probeOthers(
  probe: HealthProbe | undefined,
  log: FastifyBaseLogger,
): Promise<Record<string, ComponentHealth>> {
  if (!probe) return {};
  try {
    return await withTimeout(probe(), 'health probe');
  } catch (err) {
    log.warn({ err }, 'health probe failed');
    return { components: { state: 'degraded', detail: 'the health probe failed' } };
  }
}

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
