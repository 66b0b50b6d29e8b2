import { appendFileSync, closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';
import { afterAll, beforeAll, expect } from 'vitest';

/**
 * Setup file of the integration and e2e projects: their files share one private
 * Prosody, Redis and desk, so they must run one at a time (vitest.config.ts runs
 * each of these projects in a single fork). This guard proves it instead of
 * trusting it: each file takes an exclusive lock for the whole file and a second
 * file that finds the lock held by a live process fails the run.
 *
 * The lock is per run, named by the vitest process: the parent of a forked worker, or
 * the process itself for a worker thread (`--pool threads`), so two runs on one machine
 * never collide. A file's holder is its process and thread.
 */
const RUN = isMainThread ? process.ppid : process.pid;
const LOCK = join(tmpdir(), `tickdesk-serial-${RUN}.lock`);

interface Holder {
  pid: number;
  thread: number;
  file: string;
}

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
      writeSync(fd, JSON.stringify({ pid: process.pid, thread: threadId, file } satisfies Holder));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: Holder | undefined;
    try {
      holder = JSON.parse(readFileSync(LOCK, 'utf8')) as Holder;
    } catch {
      // Written between our open and our read, or removed: look again.
      continue;
    }
    // A file whose worker was killed mid-file leaves the lock behind; a holder in this
    // very worker (which runs one file at a time) or in a dead process is not running.
    if ((holder.pid === process.pid && holder.thread === threadId) || !alive(holder.pid)) {
      rmSync(LOCK, { force: true });
      continue;
    }
    throw new Error(
      `${file} started while ${holder.file} (pid ${holder.pid}) holds the shared test servers: shared-server test files ran at the same time`,
    );
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
