/** One running instance of a supervised part: its pid, how it ended, how to stop it. */
export interface Running {
  readonly pid: number;
  /** Resolves once the process has exited, with its reason (`exit 1`, `SIGKILL`…). */
  readonly ended: Promise<string>;
  stop(): Promise<void>;
}

export interface RestartPolicy {
  /** First restart delay; doubled after each exit that came within `stableMs` of a start. */
  initialMs: number;
  maxMs: number;
  /** Each delay is drawn uniformly from ±jitter of itself (0.2 = ±20 %). */
  jitter: number;
  /** A part that ran this long before it exited restarts after `initialMs` again. */
  stableMs: number;
  /** Give up once more than `maxRestarts` exits fall within `windowMs`. */
  maxRestarts: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialMs: 250,
  maxMs: 8_000,
  jitter: 0.2,
  stableMs: 10_000,
  maxRestarts: 10,
  windowMs: 120_000,
};

export type PartState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

export interface PartStatus {
  name: string;
  state: PartState;
  pid: number;
  restarts: number;
  lastExit?: string;
  lastRestartAt?: string;
}

export interface SupervisorDeps {
  name: string;
  /** Starts the part; throws or rejects when it could not start (counted like an exit). `signal` is aborted when the supervisor stops (a start that waits ends its wait). */
  start: (ctx: { signal: AbortSignal }) => Running | Promise<Running>;
  policy?: Partial<RestartPolicy>;
  /** A line for the desk's output and log. */
  report: (line: string) => void;
  /** Called after every change of state (pid, restarts…), e.g. to rewrite desk.json. */
  onChange?: (status: PartStatus) => void;
  /** Called once when the part failed too often; the supervisor no longer restarts it. */
  onGiveUp?: (status: PartStatus) => void;
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The delay before restart number `attempt` (0-based count of quick exits in a row). */
export function restartDelay(policy: RestartPolicy, attempt: number, random: () => number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 - policy.jitter + 2 * policy.jitter * random()));
}

/**
 * Keeps one part of the desk running: restarts it with exponential backoff and jitter
 * whenever it exits unless asked to stop, and gives up (state `failed`) after
 * `maxRestarts` exits within `windowMs`, as systemd's StartLimitBurst does.
 */
export function createSupervisor({
  name,
  start,
  policy: partial,
  report,
  onChange,
  onGiveUp,
  random = Math.random,
  now = Date.now,
  sleep = defaultSleep,
}: SupervisorDeps) {
  const policy = { ...DEFAULT_RESTART_POLICY, ...partial };
  const status: PartStatus = { name, state: 'stopped', pid: -1, restarts: 0 };
  let current: Running | undefined;
  let stopping = false;
  /** The desk's stop has begun: an exit from now on ends the part, even before its own stop() comes. */
  let halted = false;
  let wake: () => void = () => undefined;
  const stopSignal = new AbortController();
  const stopped = new Promise<void>((r) => (wake = r));
  let loop: Promise<void> = Promise.resolve();
  const exits: number[] = [];
  let quickExits = 0;

  const change = (patch: Partial<PartStatus>) => {
    Object.assign(status, patch);
    onChange?.({ ...status });
  };

  /** Start, watch, restart: returns when stopped or given up. */
  async function watch(first: Running): Promise<void> {
    let running: Running | undefined = first;
    for (;;) {
      let startedAt = now();
      let reason: string;
      if (running) {
        current = running;
        change({ state: 'running', pid: running.pid });
        reason = await running.ended;
      } else {
        try {
          running = await start({ signal: stopSignal.signal });
          if (stopping) return void (await running.stop());
          continue;
        } catch (err) {
          reason = `start failed: ${(err as Error).message.split('\n')[0]}`;
          startedAt = now();
        }
      }
      running = undefined;
      current = undefined;
      if (stopping) return;
      if (halted) {
        change({ state: 'stopped', pid: -1, lastExit: reason });
        report(`${name} exited (${reason}) while the desk stops: stopped`);
        return;
      }
      const at = now();
      exits.push(at);
      while (exits.length > 0 && exits[0]! <= at - policy.windowMs) exits.shift();
      quickExits = at - startedAt >= policy.stableMs ? 0 : quickExits + 1;
      change({ pid: -1, lastExit: reason });
      if (exits.length > policy.maxRestarts) {
        change({ state: 'failed' });
        report(
          `${name} exited (${reason}) ${exits.length} time${exits.length === 1 ? '' : 's'} within ${policy.windowMs / 1000} s: giving up on it`,
        );
        onGiveUp?.({ ...status });
        return;
      }
      const delay = restartDelay(policy, quickExits, random);
      change({ state: 'restarting' });
      report(`${name} exited (${reason}); restart ${status.restarts + 1} in ${(delay / 1000).toFixed(2)} s`);
      await Promise.race([sleep(delay), stopped]);
      if (stopping || halted) return void change({ state: 'stopped' });
      change({ restarts: status.restarts + 1, lastRestartAt: new Date(now()).toISOString(), state: 'starting' });
    }
  }

  return {
    /** The first start: a part that cannot start at all fails the desk's start-up. */
    async start(): Promise<void> {
      change({ state: 'starting' });
      const first = await start({ signal: stopSignal.signal });
      loop = watch(first);
    },
    /**
     * No more restarts (the desk is stopping, parts one after the other): a part that exits
     * before its turn (a Ctrl-C reaches the whole process group) is not started again, which
     * could leave a server holding its port after the desk has stopped.
     */
    halt(): void {
      halted = true;
      wake();
    },
    async stop(): Promise<void> {
      stopping = true;
      wake();
      stopSignal.abort();
      await current?.stop();
      await loop;
      change({ state: 'stopped', pid: -1 });
    },
    status: (): PartStatus => ({ ...status }),
  };
}
export type Supervisor = ReturnType<typeof createSupervisor>;

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
