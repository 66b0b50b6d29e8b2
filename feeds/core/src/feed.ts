import type { Logger } from 'pino';
import { nowMicros, type Instrument } from '@tickdesk/schemas';
import type { Pubsub } from '@tickdesk/xmpp';
import { createAdaptiveBatch } from './adaptive-batch.js';
import { createBarBuilder } from './bar-builder.js';
import { DEFAULT_FEED_CONFIG, type FeedConfig } from './feed-config.js';
import { createFeedSink } from './feed-sink.js';
import type { FeedMetrics } from './metrics.js';
import type { PublishGate } from './publisher-leases.js';
import { createPublishPump } from './publish-pump.js';
import type { ComponentState, FeedSource } from './source.js';
import { createTickBatcher } from './tick-batcher.js';

export { DEFAULT_FEED_CONFIG, type FeedConfig } from './feed-config.js';

export interface FeedDeps {
  source: FeedSource;
  pubsub: Pubsub;
  instruments: readonly Instrument[];
  log: Logger;
  metrics: FeedMetrics;
  config?: Partial<FeedConfig>;
  now?: () => number;
  /**
   * Whether the XMPP session is up. While it is not (its node died, the client is
   * reconnecting), batches wait in the batcher (conflated past maxPendingPerInstrument)
   * instead of failing as TICKDESK_XMPP_NOT_CONNECTED and being lost; the 250 ms timer
   * sends them once it is back. Always up when absent.
   */
  connected?: () => boolean;
  /**
   * One active publisher per instrument (publisher-leases.ts): without the instrument's
   * lease its ticks are dropped on arrival and its waiting items before each publish; the
   * items carry the lease's fencing token. Absent: this feed publishes everything.
   */
  gate?: PublishGate;
}

/**
 * The ingest pipeline: source → validate → normalise → batch per instrument → publish
 * to ticks/<SYMBOL> with a bounded window, and 1-second bars to bars/<SYMBOL>.
 */
export function createFeed({
  source,
  pubsub,
  instruments,
  log: parentLog,
  metrics,
  config: partial,
  now = nowMicros,
  connected = () => true,
  gate,
}: FeedDeps) {
  const config = { ...DEFAULT_FEED_CONFIG, ...partial };
  const log = parentLog.child({ component: 'feed', feed: source.name });
  const label = { feed: source.name };
  const batcher = createTickBatcher({ maxBatch: config.maxBatch, maxPending: config.maxPendingPerInstrument });
  const bars = createBarBuilder();
  const batchWait = createAdaptiveBatch({
    policy: {
      minMs: config.batchMs,
      maxMs: config.maxBatchMs,
      maxBatch: config.maxBatch,
      itemCostMicros: config.itemCostMicros,
      notificationCostMicros: config.notificationCostMicros,
      serverShare: config.serverShare,
    },
    enabled: config.adaptiveBatch,
    eagerMaxRate: config.eagerMaxRate,
    instruments,
    pubsub,
    log,
    subscriberPollMs: config.subscriberPollMs,
    now,
  });
  const publisher = createPublishPump({
    pubsub,
    batcher,
    batchWait,
    config,
    metrics,
    label,
    log,
    now,
    connected,
    gate,
    sensors: new Set(instruments.filter((i) => i.kind === 'sensor').map((i) => i.symbol)),
  });
  const { sink, countAccepted, rejected } = createFeedSink({
    instruments,
    batcher,
    bars: config.bars ? bars : undefined,
    publisher,
    arrived: (symbol) => batchWait.note(symbol),
    metrics,
    label,
    log,
    now,
    gate,
  });
  let barTimer: NodeJS.Timeout | undefined;
  let abort: AbortController | undefined;
  let running: Promise<void> | undefined;

  return {
    sink,
    // Nothing to wait for (the source runs in the background); a promise like every component's start.
    start(): Promise<void> {
      abort = new AbortController();
      metrics.ticks.inc(label, 0);
      batchWait.start();
      barTimer = setInterval(() => {
        metrics.batchMs.set(label, batchWait.update());
        countAccepted();
        metrics.pending.set(label, batcher.pending);
        metrics.inFlight.set(label, publisher.inFlight);
        for (const b of bars.flushIdle()) publisher.queueBar(b);
        publisher.pump();
      }, 250);
      running = source.run(sink, abort.signal).catch((err: unknown) => {
        log.error({ err }, 'feed source failed');
      });
      return Promise.resolve();
    },
    /** Resolves when a finite source (replay) has been read to the end and everything published. */
    async finished(): Promise<void> {
      await running;
      await this.flush();
    },
    async flush(): Promise<void> {
      for (const b of bars.flushIdle(true)) publisher.queueBar(b);
      await publisher.flush();
      countAccepted();
    },
    async stop(): Promise<void> {
      abort?.abort();
      await running;
      clearInterval(barTimer);
      await batchWait.stop();
      await this.flush();
      publisher.stop();
    },
    state(): ComponentState {
      const s = source.state();
      if (s === 'running' && publisher.failing) return 'degraded';
      return s;
    },
    stats() {
      return {
        batchMs: batchWait.ms,
        pending: batcher.pending,
        inFlight: publisher.inFlight,
        conflated: batcher.conflated,
        rejected: rejected(),
      };
    },
  };
}
export type Feed = ReturnType<typeof createFeed>;
