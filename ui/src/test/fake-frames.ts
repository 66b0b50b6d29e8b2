import type { FrameScheduler } from '../lib/frame-batcher.js';

/** Animation frames that run only when the test says so. */
export function fakeFrames() {
  let queue: Array<() => void> = [];
  let requested = 0;
  const frames: FrameScheduler = {
    request(cb) {
      requested += 1;
      queue.push(cb);
      return queue.length;
    },
    cancel() {
      queue = [];
    },
  };
  return {
    frames,
    get requested() {
      return requested;
    },
    flush() {
      const q = queue;
      queue = [];
      q.forEach((cb) => cb());
    },
  };
}
