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
 *
 * With `everyMs`, a write follows the previous one by at least that long: at 1,000 ticks/s
 * an HSET per batch was a thousand Redis round trips a second, the largest share of the
 * engine's own work and a wake-up of Redis each, competing with the alerts' own round
 * trips for the same cores; a crash re-evaluates at most that much more.
 */
/** The engine's least time between two watermark writes: at most 50 a second, whatever the tick rate. */
export const WATERMARK_EVERY_MS = 20;

export function createWatermarkWriter({
  redis,
  key,
  log,
  keep,
  stopping,
  sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  maxDelayMs = 2_000,
  everyMs = 0,
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
  /** The least time between two writes (0: the next as soon as the previous is answered). */
  everyMs?: number;
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
          // Marks set meanwhile wait and are written together, the newest of each instrument.
          if (everyMs > 0 && !stopping()) await sleep(everyMs);
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
