import type { Logger } from 'pino';
import type { Bar, Instrument } from '@tickdesk/schemas';
import type { FeedMetrics } from './metrics.js';
import type { PublishGate } from './publisher-leases.js';
import type { PublishPump } from './publish-pump.js';
import { createRejectLog } from './reject-log.js';
import type { RawTick, SourceEvent, TickSink } from './source.js';
import type { TickBatcher } from './tick-batcher.js';
import { createValidator, type AcceptedTick } from './validator.js';

export interface FeedSinkDeps {
  instruments: readonly Instrument[];
  batcher: TickBatcher;
  /** The bar builder (bar-builder.ts); absent when the feed builds no bars. */
  bars: { add(tick: AcceptedTick): Bar | undefined } | undefined;
  publisher: PublishPump;
  /** A tick of `symbol` was accepted (adaptive-batch.ts counts them). */
  arrived: (symbol: string) => void;
  metrics: FeedMetrics;
  label: { feed: string };
  log: Logger;
  /** Microseconds. */
  now: () => number;
  gate: PublishGate | undefined;
}

/**
 * Where a source hands its ticks: each validated and normalised, refused ones counted and
 * logged, the rest stamped by the instrument's lease (when leased) and batched per
 * instrument. The return value and `drain` are the source's backpressure.
 */
export function createFeedSink({
  instruments,
  batcher,
  bars,
  publisher,
  arrived,
  metrics,
  label,
  log,
  now,
  gate,
}: FeedSinkDeps) {
  const validate = createValidator({ instruments, now });
  const rejects = createRejectLog(log);
  let accepted = 0;

  const sink: TickSink = {
    push(raw: RawTick): boolean {
      const v = validate(raw);
      if (!v.ok) {
        metrics.rejected.inc({ ...label, reason: v.reason });
        rejects.note(v.reason, v.detail, raw.symbol);
        raw.settled?.('refused');
        return publisher.hasRoom();
      }
      if (gate) {
        if (gate.token(v.tick.symbol) === undefined) {
          // A lease only uncertain (Redis failing over) keeps them to publish first when taken again.
          if (gate.holding?.(v.tick.symbol)) {
            v.tick.seq = gate.seq(v.tick.symbol, v.tick.seq);
            accepted += 1;
            gate.hold!(v.tick.symbol, [raw.settled ? { ...v.tick, settled: raw.settled } : v.tick], false);
            return publisher.hasRoom();
          }
          metrics.unleased.inc(label);
          raw.settled?.('dropped');
          return publisher.hasRoom();
        }
        v.tick.seq = gate.seq(v.tick.symbol, v.tick.seq);
      }
      accepted += 1;
      arrived(v.tick.symbol);
      if (v.gap > 0) metrics.gaps.inc(label, v.gap);
      const live = batcher.add(raw.settled ? { ...v.tick, settled: raw.settled } : v.tick);
      if (bars) {
        const closed = bars.add(v.tick);
        if (closed) publisher.queueBar(closed);
      }
      publisher.batched(v.tick.symbol, live);
      return publisher.hasRoom();
    },
    drain: () => publisher.drain(),
    report(event: SourceEvent) {
      if (event.kind === 'gap') metrics.gaps.inc(label, event.to - event.from + 1);
      if (event.kind === 'malformed') {
        metrics.rejected.inc({ ...label, reason: 'malformed' });
        rejects.note('malformed', event.reason, undefined);
      }
      if (event.kind === 'reconnect') log.info(event, 'source reconnecting');
    },
  };

  // Held ticks, once the lease is taken again, go into the batcher ahead of any newer tick.
  gate?.attach?.({
    resume(symbol, ticks) {
      let live = 0;
      for (const t of ticks) live = batcher.add(t);
      publisher.batched(symbol, live);
    },
    dropped: (count) => metrics.unleased.inc(label, count),
  });

  return {
    sink,
    /** Adds the ticks accepted since the last call to the ticks counter. */
    countAccepted: (): void => {
      metrics.ticks.inc(label, accepted);
      accepted = 0;
    },
    rejected: (): Record<string, number> => rejects.counts(),
  };
}
