import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * The evaluated-up-to mark of each instrument (engine.ts), written to Redis off the
 * evaluation queue: the next batch is evaluated while a write is out, and while one is
 * out only the newest mark of each instrument waits for the next (one HSET for all).
 * A mark is handed over only once its batch's firings (and every earlier batch's) are in
 * the outbox, so a mark in Redis never passes a firing that is not; a mark not yet
 * written when the process dies means those ticks are evaluated again at the next start,
 * and the deterministic alert ids make the outbox ignore what it already has.
 */
export function createWatermarkWriter({
  redis,
  key,
  log,
  keep,
  stopping,
  sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  maxDelayMs = 2_000,
}: {
  redis: Pick<Redis, 'hset'>;
  key: string;
  log: Logger;
  /** False for an instrument this engine no longer holds: its new holder writes its mark. */
  keep: (symbol: string) => boolean;
  /** While stopping, a failed write is given up rather than retried. */
  stopping: () => boolean;
  sleep?: (ms: number) => Promise<void>;
  maxDelayMs?: number;
}) {
  const pending = new Map<string, string>();
  let writing: Promise<void> = Promise.resolve();
  let running = false;
  let failing = false;

  async function drain(): Promise<void> {
    try {
      for (let delay = 100; pending.size > 0;) {
        const marks = [...pending].filter(([symbol]) => keep(symbol));
        pending.clear();
        if (marks.length === 0) continue;
        try {
          await redis.hset(key, Object.fromEntries(marks));
          failing = false;
          delay = 100;
        } catch (err) {
          // Marks set meanwhile are newer: only the others are put back.
          for (const [symbol, json] of marks) if (!pending.has(symbol)) pending.set(symbol, json);
          if (stopping()) {
            log.warn(
              { err, symbols: [...pending.keys()] },
              'watermarks not written at stop: their ticks are evaluated again',
            );
            pending.clear();
            continue;
          }
          if (!failing) log.error({ err }, 'watermarks not written: retried until Redis answers');
          failing = true;
          await sleep(delay);
          delay = Math.min(delay * 2, maxDelayMs);
        }
      }
    } finally {
      // In the same turn as the loop's last look at `pending`: a mark set after it starts a new drain.
      running = false;
    }
  }

  return {
    /** The instrument's mark (Watermark JSON), written with the next HSET. */
    set(symbol: string, json: string): void {
      pending.set(symbol, json);
      if (running) return;
      running = true;
      writing = drain();
    },
    /** Every mark handed over so far written (or given up at stop). */
    settled: (): Promise<void> => writing,
    failing: (): boolean => failing,
  };
}
