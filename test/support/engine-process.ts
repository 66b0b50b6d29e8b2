import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeFlagsOf } from '@tickdesk/desk';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface EngineProcess {
  child: ChildProcess;
  /** Resolves once the engine logged that it runs; rejects if it exits first. */
  running: Promise<void>;
  output(): string;
}

/**
 * The alerts service as `tickdesk run alerts` runs it, against a desk whose runtime folder
 * (credentials, CA) is `home`: from sources, or with `built` from the built JavaScript
 * (services/desk/dist, as `tickdesk up` runs it; benchmarks: the TypeScript loader keeps
 * every transformed module and its source map on the heap, which the collector then marks).
 */
export function startEngineProcess(opts: {
  home: string;
  domain: string;
  xmppPort: number;
  redisPort: number;
  env?: Record<string, string>;
  built?: boolean;
}): EngineProcess {
  // The engine's V8 flags as `tickdesk up` gives them (service-process.ts).
  const args = opts.built
    ? [...nodeFlagsOf('alerts'), 'services/desk/dist/cli.js', 'run', 'alerts']
    : [
        ...nodeFlagsOf('alerts'),
        '--conditions=tickdesk-source',
        '--import',
        'tsx',
        'services/desk/src/cli.ts',
        'run',
        'alerts',
      ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      TICKDESK_HOME: opts.home,
      TICKDESK_DOMAIN: opts.domain,
      TICKDESK_XMPP_PORT: String(opts.xmppPort),
      TICKDESK_REDIS_PORT: String(opts.redisPort),
      TICKDESK_LOG_LEVEL: 'info',
      ...opts.env,
    },
  });
  let out = '';
  const running = new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.length > 1_000_000) out = out.slice(-500_000);
      if (out.includes('alert engine running')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(new Error(`engine exited (${signal ?? code}) before running:\n${out.slice(-2000)}`)),
    );
  });
  running.catch(() => undefined);
  return { child, running, output: () => out };
}

/** Port of an `xmpp://host:port` or `redis://host:port` URL. */
export const portOf = (url: string): number => Number(new URL(url.replace(/^xmpp:/, 'http:')).port);
