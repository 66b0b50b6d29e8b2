import { appendFileSync, closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';

/**
 * Setup file of the integration and e2e projects: their files share one private
 * Prosody, Redis and desk, so they must run one at a time (vitest.config.ts runs
 * each of these projects in a single fork). This guard proves it instead of
 * trusting it: each file takes an exclusive lock for the whole file and a second
 * file that finds the lock held by a live process fails the run.
 *
 * The lock is per run: workers are forked by the vitest process, whose pid
 * (`process.ppid`) names it, so two runs on one machine never collide.
 */
const LOCK = join(tmpdir(), `tickdesk-serial-${process.ppid}.lock`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function take(file: string): void {
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, file }));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: { pid: number; file: string } | undefined;
    try {
      holder = JSON.parse(readFileSync(LOCK, 'utf8')) as { pid: number; file: string };
    } catch {
      // Written between our open and our read, or removed: look again.
      continue;
    }
    // A file that ended without its afterAll (a failed import) leaves the lock behind;
    // in this process or a dead one it is not running any more.
    if (holder.pid === process.pid || !alive(holder.pid)) {
      rmSync(LOCK, { force: true });
      continue;
    }
    throw new Error(`${file} started while ${holder.file} (pid ${holder.pid}) holds the shared test servers: shared-server test files ran at the same time`);
  }
}

/** TICKDESK_SERIAL_TRACE=<file>: one line per file start and end, to show the order. */
function trace(event: string, file: string): void {
  const to = process.env.TICKDESK_SERIAL_TRACE;
  if (to) appendFileSync(to, `${new Date().toISOString()} ${event} pid=${process.pid} ${file}\n`);
}

let held: string | undefined;
beforeAll(() => {
  const file = expect.getState().testPath ?? 'unknown file';
  take(file);
  held = file;
  trace('start', file);
});
afterAll(() => {
  if (held === undefined) return;
  trace('end', held);
  rmSync(LOCK, { force: true });
  held = undefined;
});
