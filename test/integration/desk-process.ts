import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { portOf } from '../support/engine-process.js';
import { desk } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** `tickdesk run <service>` from sources against the shared desk, with `env` added; its output kept for messages. */
export function runDeskService(service: 'feed' | 'recorder', env: Record<string, string>) {
  const d = desk();
  const child = spawn(
    process.execPath,
    ['--conditions=tickdesk-source', '--import', 'tsx', 'services/desk/src/cli.ts', 'run', service],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        TICKDESK_HOME: d.home,
        TICKDESK_DOMAIN: d.domain,
        TICKDESK_XMPP_PORT: String(portOf(d.service)),
        TICKDESK_REDIS_PORT: String(portOf(d.redisUrl)),
        TICKDESK_LOG_LEVEL: 'info',
        ...env,
      },
    },
  );
  let out = '';
  const onData = (b: Buffer) => {
    out += b.toString();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return { child, output: () => out };
}
