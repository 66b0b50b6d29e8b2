import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface ManagedProcess {
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  /** Resolves once the process has exited, with why: `exit 1`, `SIGKILL`, `spawn failed`. */
  readonly ended: Promise<string>;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawn a server in the foreground of its own process group, output to its log file only. */
export function startProcess(command: string, args: string[], opts: { cwd?: string; umask?: number } = {}): ManagedProcess {
  // A umask for the server alone (files it creates, e.g. Redis's AOF, get no group or other
  // bits): sh sets it and execs the server, so the pid stays the server's.
  const [cmd, argv] = opts.umask === undefined
    ? [command, args]
    : ['/bin/sh', ['-c', `umask ${opts.umask.toString(8).padStart(3, '0')} && exec "$0" "$@"`, command, ...args]];
  const child: ChildProcess = spawn(cmd, argv, { cwd: opts.cwd, stdio: 'ignore', detached: false });
  let code: number | null | undefined;
  let reason = '';
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (c, signal) => { code = c; reason = signal ?? `exit ${c}`; resolve(c); });
    child.once('error', (err) => { code = -1; reason = `spawn failed: ${err.message}`; resolve(-1); });
  });
  return {
    pid: child.pid ?? -1,
    exited,
    ended: exited.then(() => reason),
    alive: () => code === undefined,
    async stop(graceMs = 5000) {
      if (code !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
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
