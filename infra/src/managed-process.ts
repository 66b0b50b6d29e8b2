import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface ManagedProcess {
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  /** Resolves once the process has exited, with why: `exit 1`, `SIGKILL`, `spawn failed`. */
  readonly ended: Promise<string>;
  /** A function property, not a method: it is handed on unbound (`waitForPort(port, ms, proc.alive)`). */
  readonly alive: () => boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawn a server in the foreground of its own process group, output to its log file only. */
export function startProcess(
  command: string,
  args: string[],
  opts: {
    cwd?: string;
    umask?: number;
    /** Run as this user and group (a root desk runs ejabberd as its own user). */
    uid?: number;
    gid?: number;
    env?: NodeJS.ProcessEnv;
    /** Output to this file descriptor instead of nowhere. */
    outFd?: number;
    /**
     * Its own process group, signalled as a whole: for a start script (ejabberdctl) whose
     * server is a child that a signal to the script alone would leave running.
     */
    group?: boolean;
  } = {},
): ManagedProcess {
  // A umask for the server alone (files it creates, e.g. Redis's AOF, get no group or other
  // bits): sh sets it and execs the server, so the pid stays the server's.
  const [cmd, argv] =
    opts.umask === undefined
      ? [command, args]
      : ['/bin/sh', ['-c', `umask ${opts.umask.toString(8).padStart(3, '0')} && exec "$0" "$@"`, command, ...args]];
  const out = opts.outFd ?? 'ignore';
  const child: ChildProcess = spawn(cmd, argv, {
    cwd: opts.cwd,
    stdio: ['ignore', out, out],
    detached: opts.group === true,
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (opts.group && child.pid) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      /* already gone */
    }
  };
  let code: number | null | undefined;
  let reason = '';
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (c, signal) => {
      code = c;
      reason = signal ?? `exit ${c}`;
      resolve(c);
    });
    child.once('error', (err) => {
      code = -1;
      reason = `spawn failed: ${err.message}`;
      resolve(-1);
    });
  });
  return {
    pid: child.pid ?? -1,
    exited,
    ended: exited.then(() => reason),
    alive: () => code === undefined,
    async stop(graceMs = 5000) {
      if (code !== undefined) return;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The last lines of a log file, for error messages. */
export function tail(path: string, lines = 15): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
