import type { Logger } from 'pino';
import type { DeskTopology } from '@tickdesk/schemas';
import { loadApiConfig, startApiServer, type ApiServerOptions } from '@tickdesk/api';
import { loadWebhooksConfig } from '@tickdesk/alerts';

/** The REST API (fastify) on TICKDESK_API_PORT, 8080 by default, reaching XMPP and Redis where the topology says. */
export async function runApi(
  topology: DeskTopology,
  env: Record<string, string | undefined>,
  log: Logger,
  options: Omit<ApiServerOptions, 'topology'> = {},
): Promise<() => Promise<void>> {
  const server = await startApiServer(loadApiConfig(env), log, {
    webhooks: loadWebhooksConfig(env),
    ...options,
    topology,
  });
  log.info('api running');
  return () => server.close();
}
