/** Schedules one callback before the next paint (requestAnimationFrame in the browser; a fake in tests). */
export interface FrameScheduler {
  request(callback: () => void): number;
  cancel(handle: number): void;
}

export const animationFrames: FrameScheduler = {
  request: (callback) => requestAnimationFrame(() => callback()),
  cancel: (handle) => cancelAnimationFrame(handle),
};

/**
 * Collects updates and hands them to `flush` at most once per animation frame, so a
 * feed faster than the screen costs one store update (one paint) per frame.
 */
export function createFrameBatcher<T>(frames: FrameScheduler, flush: (updates: T[]) => void) {
  let pending: T[] = [];
  let handle: number | undefined;
  const run = () => {
    handle = undefined;
    const updates = pending;
    pending = [];
    if (updates.length > 0) flush(updates);
  };
  return {
    push(update: T): void {
      pending.push(update);
      handle ??= frames.request(run);
    },
    /** Drop what is waiting (a reset or a logout). */
    clear(): void {
      pending = [];
      if (handle !== undefined) frames.cancel(handle);
      handle = undefined;
    },
  };
}
