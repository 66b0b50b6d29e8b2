import { pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import type { ApiApp } from './app.js';
import type { ApiConfig } from './config.js';
import { loadWebhooksConfig } from '@tickdesk/alerts';
import { loadApiConfig } from './config.js';
import { buildDeskApp, type ApiServerOptions } from './desk-app.js';

export type { ApiServerOptions } from './desk-app.js';

/** The desk's API (desk-app.ts), listening on the configured host and port. */
export async function startApiServer(
  config: ApiConfig,
  log: Logger,
  options: ApiServerOptions = {},
): Promise<{ app: ApiApp; close(): Promise<void> }> {
  const desk = await buildDeskApp(config, log, options);
  try {
    await desk.app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await desk.close();
    throw err;
  }
  return desk;
}

async function main(): Promise<void> {
  let log = pino();
  let server: Awaited<ReturnType<typeof startApiServer>>;
  try {
    const config = loadApiConfig(process.env);
    log = pino({ level: config.logLevel });
    server = await startApiServer(config, log, { webhooks: loadWebhooksConfig(process.env) });
  } catch (err) {
    log.fatal({ err }, (err as Error).message);
    process.exit(1);
  }
  const { port, host } = server.app.config;
  log.info({ url: `http://${host}:${port}`, docs: `http://${host}:${port}/docs` }, 'REST API listening');
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'closing: finishing in-flight requests');
    // Streams that never end must not hold the process: 10 s, then out.
    setTimeout(() => process.exit(0), 10_000).unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
