import type { Logger } from 'pino';

export type RecorderState = 'starting' | 'running' | 'degraded' | 'stopped';

/**
 * The recorder's state for /health: degraded while Redis writes fail or stall,
 * running again after the next write that succeeds. Logs once per transition.
 */
export function createRecorderHealth({ log, retryMs }: { log: Logger; retryMs: number }) {
  let current: RecorderState = 'stopped';
  let retryAt = 0;
  return {
    state: (): RecorderState => current,
    set(state: RecorderState): void {
      current = state;
    },
    degrade(err: unknown): void {
      retryAt = Date.now() + retryMs;
      if (current === 'degraded' || current === 'stopped') return void log.debug({ err }, 'recorder still degraded');
      current = 'degraded';
      log.warn({ err }, 'recorder degraded: Redis writes failing, buffering within bounds');
    },
    recover(): void {
      if (current === 'degraded') log.info('recorder recovered: Redis writes succeed again');
      if (current === 'degraded' || current === 'starting') current = 'running';
    },
    /** While degraded, background retries wait `retryMs` after each failure. */
    mayRetry: (): boolean => current !== 'degraded' || Date.now() >= retryAt,
    /** A Redis 'ready' listener: the same function is passed to on() and off(). */
    retryNow: (): void => {
      retryAt = 0;
    },
  };
}
