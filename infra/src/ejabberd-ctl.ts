import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { which } from './binaries.js';
import { ejabberdPaths, runAs, type EjabberdOptions, type RunAs } from './ejabberd-config.js';
import { InfraError } from './errors.js';

const execFileP = promisify(execFile);

/** ejabberdctl's path, or an error naming the package to install and the other way to run a desk. */
export function requireEjabberd(find: (name: string) => string | undefined = which): string {
  const path = find('ejabberdctl');
  if (!path) {
    throw new InfraError(
      'TICKDESK_INFRA_BINARY_MISSING',
      'ejabberd is not installed (no ejabberdctl on PATH or in /usr/sbin), and TICKDESK_XMPP_SERVER=ejabberd needs it. ' +
        'Install it with: apt-get install -y ejabberd erlang-p1-sqlite3 (or run npm start, which installs it for you), ' +
        'or run the desk on Prosody: TICKDESK_XMPP_SERVER=prosody TICKDESK_XMPP_NODES=1.',
    );
  }
  return path;
}

/** ejabberdctl's arguments naming the node's config, spool, logs and name. */
export function ctlArgs(opts: EjabberdOptions, node: string): string[] {
  const p = ejabberdPaths(opts.dir);
  return ['--config-dir', opts.dir, '--spool', p.spool, '--logs', p.logs, '--node', node];
}

/** The environment ejabberdctl and the node run with: the Erlang cookie lives in the spool (HOME). */
export const ctlEnv = (opts: EjabberdOptions): NodeJS.ProcessEnv => ({
  ...process.env,
  HOME: ejabberdPaths(opts.dir).spool,
  ERL_EPMD_ADDRESS: '127.0.0.1',
  EJABBERD_MNESIA_SCHEMA: ejabberdPaths(opts.dir).spool,
  ...(opts.epmdPort !== undefined ? { ERL_EPMD_PORT: String(opts.epmdPort) } : {}),
});

/** The node's own environment: in a cluster its listener is fixed here, not in ejabberdctl.cfg, which ejabberdctl's own node reads too. */
export const nodeEnv = (opts: EjabberdOptions): NodeJS.ProcessEnv => ({
  ...ctlEnv(opts),
  ...(opts.epmdPort !== undefined
    ? { ERL_FLAGS: `-kernel inet_dist_listen_min ${opts.distPort} inet_dist_listen_max ${opts.distPort}` }
    : {}),
});

/** ejabberdctl's answer (stdout). */
export async function ctlOutput(
  opts: EjabberdOptions,
  node: string,
  args: string[],
  who: RunAs = runAs(),
): Promise<string> {
  const bin = requireEjabberd();
  const { stdout } = await execFileP(bin, [...ctlArgs(opts, node), ...args], {
    env: ctlEnv(opts),
    cwd: ejabberdPaths(opts.dir).spool,
    ...who,
    timeout: 60_000,
  });
  return stdout;
}

/** Create an account, or set its password if it exists (ejabberdctl over the node's loopback distribution port). */
export async function registerEjabberdAccount(
  opts: EjabberdOptions,
  node: string,
  user: string,
  password: string,
  who: RunAs = runAs(),
): Promise<void> {
  try {
    await ctlOutput(opts, node, ['register', user, opts.domain, password], who);
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    const text = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    if (!/already registered|conflict/i.test(text)) {
      throw new InfraError(
        'TICKDESK_INFRA_COMMAND_FAILED',
        `ejabberdctl register ${user}@${opts.domain} failed: ${text.trim() || String(err)}`,
      );
    }
    await ctlOutput(opts, node, ['change_password', user, opts.domain, password], who);
  }
}
