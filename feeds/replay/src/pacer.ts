/** Replay speed: 1 = real time by event timestamps, N = N times faster, 'max' = no waiting. */
export type ReplaySpeed = number | 'max';

export interface Pacer {
  /** Milliseconds to wait before pushing a tick with this event time (≤ 0: push now). */
  delayMs(eventTimeMicros: number): number;
  /** Move the timeline later, e.g. by the time spent waiting for the sink to drain. */
  shift(ms: number): void;
}

/** The first tick anchors event time to the clock; later ticks keep their distance / speed. */
export function createPacer(speed: ReplaySpeed, clockMs: () => number = () => performance.now()): Pacer {
  if (speed === 'max') return { delayMs: () => 0, shift: () => {} };
  let anchorEvent: number | undefined;
  let anchorClock = 0;
  return {
    delayMs(eventTimeMicros) {
      if (anchorEvent === undefined) {
        anchorEvent = eventTimeMicros;
        anchorClock = clockMs();
        return 0;
      }
      return anchorClock + (eventTimeMicros - anchorEvent) / 1000 / speed - clockMs();
    },
    shift(ms) {
      anchorClock += ms;
    },
  };
}
