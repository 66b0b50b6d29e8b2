import type { Logger } from 'pino';

/**
 * Logs refused ticks without flooding: the first few per reason each interval in
 * full, then one summary line with the count.
 */
export function createRejectLog(log: Logger, { perInterval = 5, intervalMs = 10_000 } = {}) {
  const totals = new Map<string, number>();
  const window = new Map<string, number>();
  let windowStart = Date.now();
  return {
    note(reason: string, detail: string, symbol: string | undefined): void {
      totals.set(reason, (totals.get(reason) ?? 0) + 1);
      const nowMs = Date.now();
      if (nowMs - windowStart > intervalMs) {
        for (const [r, n] of window)
          if (n > perInterval) log.warn({ reason: r, suppressed: n - perInterval }, 'more ticks refused');
        window.clear();
        windowStart = nowMs;
      }
      const n = (window.get(reason) ?? 0) + 1;
      window.set(reason, n);
      if (n <= perInterval) log.warn({ reason, detail, symbol }, 'tick refused');
    },
    counts(): Record<string, number> {
      return Object.fromEntries(totals);
    },
  };
}
