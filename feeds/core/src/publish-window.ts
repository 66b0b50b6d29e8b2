/**
 * At most `size` publishes in flight. `tryAcquire` never waits: the caller keeps its
 * ticks pending (and conflates them if they pile up) instead of queueing promises.
 */
export function createPublishWindow(size: number) {
  let inFlight = 0;
  const waiters: Array<() => void> = [];
  return {
    tryAcquire(): boolean {
      if (inFlight >= size) return false;
      inFlight += 1;
      return true;
    },
    release(): void {
      inFlight -= 1;
      waiters.splice(0).forEach((w) => w());
    },
    /** Resolves once nothing is in flight. */
    async idle(): Promise<void> {
      while (inFlight > 0) await new Promise<void>((r) => waiters.push(r));
    },
    get inFlight(): number {
      return inFlight;
    },
    get full(): boolean {
      return inFlight >= size;
    },
  };
}
export type PublishWindow = ReturnType<typeof createPublishWindow>;
