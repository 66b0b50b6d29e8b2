import { createBackoff } from '@tickdesk/xmpp/browser';

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as number) };

/**
 * When to try the next reconnect: exponential backoff with full jitter (delay drawn
 * from [0, min(max, initial·2^n))), so a desk full of dashboards does not come back
 * all at the same instant after the server does. xmpp.js' own reconnect waits a fixed second.
 */
export function createReconnectTimer(
  opts: { timers?: Timers; initialMs?: number; maxMs?: number; random?: () => number } = {},
) {
  const timers = opts.timers ?? realTimers;
  const backoff = createBackoff({
    initialMs: opts.initialMs ?? 1_000,
    maxMs: opts.maxMs ?? 30_000,
    ...(opts.random ? { random: opts.random } : {}),
  });
  let timer: unknown;
  return {
    schedule(run: () => void): void {
      timers.clear(timer);
      timer = timers.set(run, backoff.next().delayMs);
    },
    cancel(): void {
      timers.clear(timer);
    },
    /** A session came up: the next outage starts from the shortest delay again. */
    reset(): void {
      backoff.reset();
    },
  };
}
