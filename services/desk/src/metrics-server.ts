import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import type { PartHealthState } from '@tickdesk/schemas';

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface PartStateReport {
  state: PartHealthState;
  detail?: string;
}

/**
 * A service's prom-client registry as Prometheus text at http://127.0.0.1:<port>/metrics
 * (with the process's own metrics under `prefix`: CPU, memory, event-loop lag), and its
 * own state as JSON at /state for the API's /health. Loopback only, no token, like the
 * API's /metrics. Port 0 picks a free one.
 */
export async function startMetricsServer({
  registry,
  port,
  prefix,
  log,
  state,
}: {
  registry: Registry;
  port: number;
  prefix: string;
  log: Logger;
  state: () => PartStateReport;
}): Promise<MetricsServer> {
  collectDefaultMetrics({ register: registry, prefix });
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/state') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state()));
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics or /state\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => {
        log.error({ err }, 'metrics not collected');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics not collected\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  log.info({ url: `http://127.0.0.1:${bound}/metrics` }, 'metrics endpoint listening');
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
