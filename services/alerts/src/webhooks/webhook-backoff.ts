/** When failed deliveries are tried again (docs/alerts-protocol.md "Webhooks"). */
export interface BackoffPolicy {
  /** Attempts in all, the first included, before the delivery is dead-lettered. */
  attempts: number;
  /** The wait before the second attempt at most; it doubles each time. */
  baseMs: number;
  /** No wait is longer than this. */
  capMs: number;
}

/**
 * The longest wait after failed attempt `attempt` (1-based): base × 2^(attempt−1), capped.
 * With the defaults (8 attempts, 30 s, 20 min) the bounds are 30 s, 1, 2, 4, 8, 16, 20 min:
 * at most ~51 min from first to last attempt, ~26 min on average.
 */
export function backoffCeiling(attempt: number, { baseMs, capMs }: BackoffPolicy): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(30, attempt - 1));
}

/**
 * The wait after failed attempt `attempt`, or undefined when it was the last. Full jitter
 * (a uniform draw below the ceiling, AWS Architecture Blog "Exponential Backoff And
 * Jitter"): receivers that failed together for a while are not hit again together.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random) {
  if (attempt >= policy.attempts) return undefined;
  return Math.floor(random() * backoffCeiling(attempt, policy));
}
