import { Counter, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of the REST API, registered on `registry`. */
export function createApiMetrics(registry: Registry = new Registry()) {
  const registers = [registry];
  return {
    registry,
    requests: new Histogram({
      name: 'tickdesk_api_request_duration_seconds',
      help: 'Time to answer a request, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    logins: new Counter({
      name: 'tickdesk_api_logins_total',
      help: 'Login attempts by result (ok, bad_credentials, no_role, unavailable)',
      labelNames: ['result'] as const,
      registers,
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
