import type { Logger } from 'pino';
import { loadApiConfig, startApiServer } from '@tickdesk/api';

/** The REST API (fastify) on TICKDESK_API_PORT, 8080 by default. */
export async function runApi(env: Record<string, string | undefined>, log: Logger): Promise<() => Promise<void>> {
  const server = await startApiServer(loadApiConfig(env), log);
  log.info('api running');
  return () => server.close();
}
