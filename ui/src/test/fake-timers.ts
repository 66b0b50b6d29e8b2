import type { Timers } from '../lib/stores/connection.js';

/** Timers a test advances by hand; `delays` records every scheduled delay. */
export function fakeTimers() {
  const pending = new Map<number, () => void>();
  const delays: number[] = [];
  let next = 1;
  const timers: Timers = {
    set(fn, ms) {
      delays.push(ms);
      pending.set(next, fn);
      return next++;
    },
    clear(h) {
      pending.delete(h as number);
    },
  };
  return {
    timers,
    delays,
    get pending() {
      return pending.size;
    },
    async fire() {
      const all = [...pending.values()];
      pending.clear();
      all.forEach((fn) => fn());
      await settle();
    },
  };
}

/** Lets the promise chains a fake started run out: some microtask rounds, then one macrotask. */
export const settle = async (rounds = 10): Promise<void> => {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
};
