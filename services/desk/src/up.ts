import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { assertPortFree } from '@tickdesk/infra';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import type { DeskConfig } from './config.js';
import { startDeskInfra } from './desk-infra.js';
import { provisionDesk } from './provision-desk.js';
import { clearDeskState, isAlive, readDeskState, writeDeskState } from './state-file.js';

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));
const SERVICES = ['recorder', 'alerts', 'feed', 'api'] as const;

/** `tickdesk up`: Prosody, Redis, provisioning, then one process per service, until Ctrl-C. */
export async function up(config: DeskConfig, log: Logger, out: (line: string) => void): Promise<void> {
  const home = config.TICKDESK_HOME;
  const previous = readDeskState(home);
  if (previous && isAlive(previous.pid)) {
    throw new Error(`a desk is already running from ${home} (pid ${previous.pid}); stop it with: npm run tickdesk -- down`);
  }
  const ports = { xmpp: config.TICKDESK_XMPP_PORT, xmppTls: config.TICKDESK_XMPP_TLS_PORT, xmppHttp: config.TICKDESK_XMPP_HTTP_PORT, redis: config.TICKDESK_REDIS_PORT };
  // The API starts last, as a child: say now, by name, if its port is taken.
  await assertPortFree(config.TICKDESK_API_PORT, 'the REST API', 'TICKDESK_API_PORT');
  const infra = await startDeskInfra({ home, domain: config.TICKDESK_DOMAIN, ports, logLevel: 'info' });
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    out('stopping…');
    await Promise.all([...children.values()].map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 8000).unref();
    })));
    await infra.stop();
    clearDeskState(home);
    out('stopped.');
  };
  try {
    await provisionDesk({ infra, instruments: DEFAULT_INSTRUMENTS, log });
    mkdirSync(join(home, 'logs'), { recursive: true });
    for (const name of SERVICES) {
      const logFd = openSync(join(home, 'logs', `${name}.log`), 'a');
      const child = spawn(process.execPath, [CLI, 'run', name], { stdio: ['ignore', logFd, logFd], env: { ...process.env, TICKDESK_HOME: home } });
      children.set(name, child);
      child.once('exit', (code, signal) => {
        if (!stopping) {
          out(`${name} exited (${signal ?? code}); see ${join(home, 'logs', `${name}.log`)}. Stopping the desk.`);
          void stopAll().then(() => process.exit(1));
        }
      });
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  writeDeskState(home, {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    domain: config.TICKDESK_DOMAIN,
    ports,
    services: Object.fromEntries([...children].map(([n, c]) => [n, c.pid ?? -1])),
  });
  const users = Object.values(infra.credentials.accounts).filter((a) => a.role !== 'service').map((a) => `${a.user} (${a.role})`);
  out([
    '',
    'tickdesk is running',
    `  XMPP (STARTTLS, SCRAM)   127.0.0.1:${ports.xmpp}   domain ${infra.domain}, pubsub ${infra.pubsubHost}`,
    `  dashboard                http://localhost:${config.TICKDESK_API_PORT}   log in with an XMPP account, e.g. alice@${infra.domain}`,
    `  REST API                 http://localhost:${config.TICKDESK_API_PORT}/v1 (OpenAPI at /docs), login with an XMPP account`,
    `  XMPP WebSocket           ws://localhost:${config.TICKDESK_API_PORT}/xmpp-websocket (proxied to 127.0.0.1:${ports.xmppHttp})`,
    `  Redis (AOF)              127.0.0.1:${ports.redis}`,
    `  feed                     ${config.TICKDESK_FEED}${config.TICKDESK_FEED === 'synthetic' ? `, ${config.TICKDESK_FEED_RATE} ticks/s over ${DEFAULT_INSTRUMENTS.length} instruments` : ''}`,
    `  alerts                   chat with alerts@${infra.domain} ("help"), or its ad-hoc commands`,
    `  nodes                    ticks/<SYMBOL>, bars/<SYMBOL> for ${DEFAULT_INSTRUMENTS.map((i) => i.symbol).join(', ')}`,
    `  users                    ${users.join(', ')}`,
    `  credentials              ${infra.credentialsPath}`,
    `  CA certificate           ${infra.caPath}`,
    `  logs                     ${join(home, 'logs')}, ${join(home, 'prosody', 'prosody.log')}`,
    '',
    'Press Ctrl-C to stop.',
  ].join('\n'));
  await new Promise<void>((resolve) => {
    const onSignal = () => void stopAll().then(resolve);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}
