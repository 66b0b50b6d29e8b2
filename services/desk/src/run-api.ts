import type { Logger } from 'pino';
import { loadApiConfig, startApiServer, type ApiServerOptions } from '@tickdesk/api';

/** The REST API (fastify) on TICKDESK_API_PORT, 8080 by default. */
export async function runApi(env: Record<string, string | undefined>, log: Logger, options: ApiServerOptions = {}): Promise<() => Promise<void>> {
  const server = await startApiServer(loadApiConfig(env), log, options);
  log.info('api running');
  return () => server.close();
}
