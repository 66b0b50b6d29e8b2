import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Running } from './supervisor.js';

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));
/** A service asked to stop gets this long before SIGKILL. */
const SERVICE_STOP_MS = 8_000;

/**
 * V8 flags of a service's process. The alert engine keeps about 23 MB live, and with V8's
 * default first limit of the old generation it ran a full mark-compact every 3–5 s at 1,000
 * ticks/s, a pause of 7–27 ms of every alert under way (docs/benchmarks.md, "Latency floor").
 * A first limit of 256 MB, which V8 keeps as the floor of its later limits, leaves one a
 * minute or more at that rate, for up to about 250 MB more heap.
 */
export function nodeFlagsOf(program: string): string[] {
  return program === 'alerts' ? ['--initial-old-space-size=256'] : [];
}

/** One service as a child process (`tickdesk run <name>`), output appended to its log. */
export function spawnService(name: string, logPath: string, env: NodeJS.ProcessEnv): Running {
  const logFd = openSync(logPath, 'a', 0o600);
  const child = spawn(process.execPath, [...nodeFlagsOf(name), CLI, 'run', name], {
    stdio: ['ignore', logFd, logFd],
    env,
  });
  closeSync(logFd);
  const ended = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`));
    child.once('error', (err) => resolve(`spawn failed: ${err.message}`));
  });
  return {
    pid: child.pid ?? -1,
    ended,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), SERVICE_STOP_MS);
      await ended;
      clearTimeout(timer);
    },
  };
}
