import { describe, expect, it } from 'vitest';
import { createSupervisor, DEFAULT_RESTART_POLICY, restartDelay, type PartStatus, type Running } from './supervisor.js';

/** A fake process: `exit(reason)` ends it; `stop()` ends it with SIGTERM. */
function fakeProcess(pid: number) {
  let end!: (reason: string) => void;
  const ended = new Promise<string>((r) => (end = r));
  let stopped = false;
  const proc: Running & { exit(reason: string): void; stopped(): boolean } = {
    pid,
    ended,
    exit: (reason) => end(reason),
    stopped: () => stopped,
    async stop() {
      stopped = true;
      end('SIGTERM');
    },
  };
  return proc;
}

/** A clock the test moves, and sleeps that record their delay and return at once. */
function harness(opts: { failStarts?: number } = {}) {
  let t = 1_000_000;
  const delays: number[] = [];
  const lines: string[] = [];
  const procs: ReturnType<typeof fakeProcess>[] = [];
  const gaveUp: PartStatus[] = [];
  let failStarts = opts.failStarts ?? 0;
  let started!: () => void;
  let nextStart = new Promise<void>((r) => (started = r));
  const sup = createSupervisor({
    name: 'alerts',
    report: (l) => lines.push(l),
    onGiveUp: (s) => gaveUp.push(s),
    random: () => 1, // the top of the jitter range
    now: () => t,
    sleep: async (ms) => {
      delays.push(ms);
      t += ms;
    },
    async start() {
      if (failStarts > 0) {
        failStarts -= 1;
        throw new Error('port in use\nmore detail');
      }
      const p = fakeProcess(100 + procs.length);
      procs.push(p);
      started();
      nextStart = new Promise<void>((r) => (started = r));
      return p;
    },
  });
  return {
    sup,
    delays,
    lines,
    procs,
    gaveUp,
    advance: (ms: number) => (t += ms),
    /** Ends the newest process and waits for its replacement. */
    async crash(reason: string, ranMs: number) {
      t += ranMs;
      const waiting = nextStart;
      procs.at(-1)!.exit(reason);
      await waiting;
    },
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('supervisor', () => {
  it('restarts a crashed part with the same name, counts restarts and keeps the exit reason', async () => {
    const h = harness();
    await h.sup.start();
    expect(h.sup.status()).toMatchObject({ state: 'running', pid: 100, restarts: 0 });
    await h.crash('SIGKILL', 60_000);
    await flush();
    expect(h.sup.status()).toMatchObject({ state: 'running', pid: 101, restarts: 1, lastExit: 'SIGKILL' });
    expect(h.sup.status().lastRestartAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(h.lines[0]).toMatch(/^alerts exited \(SIGKILL\); restart 1 in 0\.30 s$/);
    await h.sup.stop();
  });

  it('doubles the delay after each quick exit, up to the maximum, and starts over after a stable run', async () => {
    const h = harness();
    await h.sup.start();
    for (let i = 0; i < 7; i++) await h.crash('exit 1', 100);
    // random() = 1: every delay is the top of its jitter range (+20 %).
    expect(h.delays).toEqual([600, 1200, 2400, 4800, 9600, 9600, 9600]);
    await h.crash('exit 1', DEFAULT_RESTART_POLICY.stableMs);
    expect(h.delays.at(-1)).toBe(300);
    await h.sup.stop();
  });

  it('keeps every delay within its jitter bounds', () => {
    const p = DEFAULT_RESTART_POLICY;
    for (let attempt = 0; attempt < 8; attempt++) {
      const base = Math.min(p.maxMs, p.initialMs * 2 ** attempt);
      expect(restartDelay(p, attempt, () => 0)).toBe(Math.round(base * 0.8));
      expect(restartDelay(p, attempt, () => 0.999999)).toBeLessThanOrEqual(Math.round(base * 1.2));
      for (let i = 0; i < 50; i++) {
        const d = restartDelay(p, attempt, Math.random);
        expect(d).toBeGreaterThanOrEqual(Math.round(base * 0.8));
        expect(d).toBeLessThanOrEqual(Math.round(base * 1.2));
      }
    }
  });

  it('gives up loudly after more than maxRestarts exits within the window', async () => {
    const h = harness();
    await h.sup.start();
    for (let i = 0; i < DEFAULT_RESTART_POLICY.maxRestarts; i++) await h.crash('exit 1', 100);
    expect(h.sup.status()).toMatchObject({ state: 'running', restarts: 10 });
    h.procs.at(-1)!.exit('exit 1');
    await flush();
    await flush();
    expect(h.sup.status()).toMatchObject({ state: 'failed', restarts: 10, pid: -1, lastExit: 'exit 1' });
    expect(h.gaveUp).toHaveLength(1);
    expect(h.lines.at(-1)).toBe('alerts exited (exit 1) 11 times within 120 s: giving up on it');
    expect(h.procs).toHaveLength(11);
  });

  it('forgets exits older than the window', async () => {
    const h = harness();
    await h.sup.start();
    for (let i = 0; i < 30; i++) await h.crash('SIGKILL', 20_000);
    expect(h.sup.status()).toMatchObject({ state: 'running', restarts: 30 });
    expect(h.gaveUp).toHaveLength(0);
    await h.sup.stop();
  });

  it('counts a start that fails like an exit and retries it', async () => {
    const h = harness({ failStarts: 2 });
    const first = fakeProcess(1);
    // The first start succeeds; the two restarts after the crash fail, the third works.
    let calls = 0;
    const sup = createSupervisor({
      name: 'prosody',
      report: (l) => h.lines.push(l),
      random: () => 0.5,
      sleep: async () => undefined,
      async start() {
        calls += 1;
        if (calls === 1) return first;
        if (calls <= 3) throw new Error('Prosody did not start\nlog tail');
        return fakeProcess(calls);
      },
    });
    await sup.start();
    first.exit('SIGKILL');
    for (let i = 0; i < 10 && sup.status().pid !== 4; i++) await flush();
    expect(sup.status()).toMatchObject({
      state: 'running',
      pid: 4,
      restarts: 3,
      lastExit: 'start failed: Prosody did not start',
    });
    await sup.stop();
  });

  it('does not restart a part that exits because the desk stops it', async () => {
    const h = harness();
    await h.sup.start();
    await h.sup.stop();
    await flush();
    expect(h.procs).toHaveLength(1);
    expect(h.procs[0]!.stopped()).toBe(true);
    expect(h.sup.status()).toMatchObject({ state: 'stopped', restarts: 0 });
    expect(h.lines).toEqual([]);
  });

  it('ends a restart that is waiting (a Redis node waiting for its sentinels) when the desk stops', async () => {
    const first = fakeProcess(1);
    let calls = 0;
    let waiting!: () => void;
    const waitingStarted = new Promise<void>((r) => (waiting = r));
    const sup = createSupervisor({
      name: 'redis',
      report: () => undefined,
      sleep: async () => undefined,
      start: ({ signal }) => {
        calls += 1;
        if (calls === 1) return Promise.resolve(first);
        waiting();
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopping'))));
      },
    });
    await sup.start();
    first.exit('SIGKILL');
    await waitingStarted;
    await sup.stop();
    expect(calls).toBe(2);
    expect(sup.status()).toMatchObject({ state: 'stopped', pid: -1 });
  });
});

describe('a supervisor halted while its part waits for its restart', () => {
  it('does not start the part again, and reports no further restart', async () => {
    const lines: string[] = [];
    const procs: ReturnType<typeof fakeProcess>[] = [];
    let sleeping!: () => void;
    const asleep = new Promise<void>((r) => (sleeping = r));
    const sup = createSupervisor({
      name: 'redis',
      report: (l) => lines.push(l),
      sleep: () => (sleeping(), new Promise<void>(() => undefined)),
      start: () => {
        const p = fakeProcess(300 + procs.length);
        procs.push(p);
        return p;
      },
    });
    await sup.start();
    procs[0]!.exit('exit 0');
    await asleep;
    sup.halt();
    await new Promise((r) => setTimeout(r, 10));
    expect(procs).toHaveLength(1);
    expect(sup.status()).toMatchObject({ state: 'stopped', restarts: 0 });
    await sup.stop();
    expect(procs).toHaveLength(1);
    expect(lines).toEqual([expect.stringMatching(/^redis exited \(exit 0\); restart 1 in /)]);
  });
});
