import type { Logger } from 'pino';

/**
 * Writes that must not be dropped because Redis is away (a batch's firings: the rule
 * index has already moved past its ticks): each is retried, 100 ms doubling to
 * `maxDelayMs`, until Redis takes it (ioredis gives up on a command after its own
 * retries). `failing()` is true from the first failure to the next success, for the
 * engine's state; `onRecovered` runs once per recovery.
 */
export function createWriteRetry({
  log,
  stopping,
  onRecovered,
  fatal = () => false,
  maxDelayMs = 2_000,
  sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
}: {
  log: Logger;
  /** An error no retry can cure (a write fenced out by a newer lease holder): thrown at once. */
  fatal?: (err: unknown) => boolean;
  /** While stopping, a failed write throws instead of waiting for Redis. */
  stopping: () => boolean;
  onRecovered?: () => void;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}) {
  let failing = false;
  return {
    failing: (): boolean => failing,
    async run(write: () => Promise<void>): Promise<void> {
      for (let delay = 100; ; delay = Math.min(delay * 2, maxDelayMs)) {
        try {
          await write();
          if (failing) {
            failing = false;
            log.info('Redis takes writes again: held firings written');
            onRecovered?.();
          }
          return;
        } catch (err) {
          if (stopping() || fatal(err)) throw err;
          if (!failing) log.error({ err }, 'firings not written: held and retried until Redis answers');
          failing = true;
          await sleep(delay);
        }
      }
    },
  };
}
