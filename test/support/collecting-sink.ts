import type { RawTick, SourceEvent, TickSink } from '@tickdesk/feed-core';

/** A feed source's sink that keeps every tick and event it is given; `push` answers the source (false: back off). */
export function collectingSink(
  push: (t: RawTick) => boolean = () => true,
): TickSink & { ticks: RawTick[]; events: SourceEvent[] } {
  const ticks: RawTick[] = [];
  const events: SourceEvent[] = [];
  return { ticks, events, push: (t) => (ticks.push(t), push(t)), drain: async () => {}, report: (e) => events.push(e) };
}
