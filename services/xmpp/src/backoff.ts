export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Random source in [0, 1); injectable for tests. */
  random?: () => number;
}

export interface Backoff {
  next(): { attempt: number; delayMs: number };
  reset(): void;
  readonly attempt: number;
}

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"): the desk's one, for XMPP reconnects, node set-up and the Binance stream.
 */
export function createBackoff({ initialMs, maxMs, random = Math.random }: BackoffOptions): Backoff {
  let attempt = 0;
  return {
    next(): { attempt: number; delayMs: number } {
      const cap = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
      attempt += 1;
      return { attempt, delayMs: Math.round(random() * cap) };
    },
    reset(): void {
      attempt = 0;
    },
    get attempt(): number {
      return attempt;
    },
  };
}
