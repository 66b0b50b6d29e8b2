import type { ComponentState } from './source.js';

/**
 * The state every feed source reports, and its one-run-at-a-time guard: a run moves
 * `initial` → stopped, or → faulted when it throws; a second concurrent run is refused.
 */
export function createSourceLifecycle(busyError: () => Error) {
  let state: ComponentState = 'starting';
  let busy = false;
  return {
    state: (): ComponentState => state,
    set(next: ComponentState): void {
      state = next;
    },
    async run(initial: ComponentState, body: () => Promise<void>): Promise<void> {
      if (busy) throw busyError();
      busy = true;
      state = initial;
      try {
        await body();
        state = 'stopped';
      } catch (err) {
        state = 'faulted';
        throw err;
      } finally {
        busy = false;
      }
    },
  };
}
