import type { Logger } from 'pino';
import {
  barsNode,
  encodeBar,
  encodeTickRows,
  nowMicros,
  ticksNode,
  type Bar,
  type Instrument,
} from '@tickdesk/schemas';
import { toXmppError, type Pubsub } from '@tickdesk/xmpp';
import { createAdaptiveBatch } from './adaptive-batch.js';
import { createBarBuilder } from './bar-builder.js';
import type { FeedMetrics } from './metrics.js';
import type { PublishGate } from './publisher-leases.js';
import { createPublishWindow } from './publish-window.js';
import { createRejectLog } from './reject-log.js';
import type { ComponentState, FeedSource, RawTick, SourceEvent, TickSink } from './source.js';
import { createTickBatcher, type PendingBatch } from './tick-batcher.js';
import { createValidator } from './validator.js';

export interface FeedConfig {
  /** Collect ticks for at least this long before publishing a batch (ms). */
  batchMs: number;
  /**
   * Wait longer, up to `maxBatchMs`, when items would cost the server more than
   * `serverShare` of a core, from each instrument's tick rate and its node's subscribers
   * (batch-policy.ts). Off: every batch waits `batchMs`.
   */
  adaptiveBatch: boolean;
  maxBatchMs: number;
  /** Server time per item and per notification (µs). */
  itemCostMicros: number;
  notificationCostMicros: number;
  serverShare: number;
  /** How often the tick nodes' subscribers are counted (ms). */
  subscriberPollMs: number;
  maxBatch: number;
  maxInFlight: number;
  maxPendingPerInstrument: number;
  publishTimeoutMs: number;
  bars: boolean;
}

export const DEFAULT_FEED_CONFIG: FeedConfig = {
  // Prosody's cost is mostly per item (about 0.7 ms of its single thread for a publish
  // and its notification), so a batch waits up to 10 ms even when the window has room:
  // at 50,000 ticks/s that took Prosody from 95 % to 62 % of a core (docs/benchmarks.md).
  batchMs: 10,
  // Under fan-out a tick may wait up to 25 ms for its item (goal: p99 under 50 ms end to
  // end). Costs measured on Prosody 0.12 (docs/benchmarks.md, "Fan-out"): about 0.45 ms
  // per item published, 0.1 ms per notification of a 20-tick item (plus about 1.3 µs per
  // tick in it, which no wait saves); half a core leaves the rest to the server's other
  // work and keeps one subscriber at 10 ms up to 100,000 ticks/s.
  adaptiveBatch: true,
  maxBatchMs: 25,
  itemCostMicros: 450,
  notificationCostMicros: 100,
  serverShare: 0.5,
  subscriberPollMs: 5_000,
  // Measured on Prosody 0.12: its per-item cost grows faster than linearly with item
  // size and pipelining beyond a few publishes only queues (docs/benchmarks.md).
  maxBatch: 200,
  maxInFlight: 16,
  // Bounds both memory and how stale a tick may get before it is conflated away.
  maxPendingPerInstrument: 5_000,
  publishTimeoutMs: 10_000,
  bars: true,
};

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
  const validate = createValidator({ instruments, now });
  const batcher = createTickBatcher({ maxBatch: config.maxBatch, maxPending: config.maxPendingPerInstrument });
  const bars = createBarBuilder();
  const pendingBars: Bar[] = [];
  const window = createPublishWindow(config.maxInFlight);
  const rejects = createRejectLog(log);
  const highWater = config.maxPendingPerInstrument;
  let drainWaiters: Array<() => void> = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let barTimer: NodeJS.Timeout | undefined;
  let abort: AbortController | undefined;
  let running: Promise<void> | undefined;
  let publishFailing = false;
  let accepted = 0;
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
    instruments,
    pubsub,
    log,
    subscriberPollMs: config.subscriberPollMs,
    now,
  });

  function publish(node: string, payload: ReturnType<typeof encodeBar>, kind: 'ticks' | 'bars') {
    const started = performance.now();
    pubsub
      .publish(node, payload, undefined, config.publishTimeoutMs)
      .then(() => {
        publishFailing = false;
        metrics.publishes.inc({ ...label, kind });
        metrics.publishSeconds.observe(label, (performance.now() - started) / 1000);
      })
      .catch((err: unknown) => {
        const e = toXmppError(err, `publish ${node}`);
        publishFailing = true;
        metrics.publishErrors.inc({ ...label, condition: e.condition ?? e.code });
        log.warn({ node, err: e }, 'publish failed');
      })
      .finally(() => {
        window.release();
        pump();
      });
  }

  /**
   * Publish while the window has room: bars first (few, small), then tick batches that
   * are full or `batchMs` old. Young partial batches wait, even when a reply frees the
   * window: the server's cost is mostly per item, so items stay as large as the
   * latency budget allows (docs/benchmarks.md).
   */
  function pump(everything = false) {
    // A flush (stop) still tries: nothing would send these later.
    if (!everything && !connected()) return;
    while (pendingBars.length > 0 && window.tryAcquire()) {
      const bar = pendingBars.shift()!;
      if (gate && gate.token(bar.symbol) === undefined) {
        window.release();
        continue;
      }
      publish(barsNode(bar.symbol), encodeBar(bar), 'bars');
    }
    let batch: PendingBatch | undefined;
    const readyBefore = everything ? Number.POSITIVE_INFINITY : now() - batchWait.ms * 1000;
    while (batcher.pending > 0 && window.tryAcquire()) {
      batch = batcher.take(readyBefore);
      if (!batch) {
        window.release();
        break;
      }
      if (batch.conflated > 0) metrics.conflated.inc(label, batch.conflated);
      // Checked at the last moment: a holder past its lease's deadline publishes nothing more.
      const token = gate?.token(batch.symbol);
      if (gate && token === undefined) {
        window.release();
        metrics.unleased.inc(label, batch.ticks.length);
        continue;
      }
      publish(ticksNode(batch.symbol), encodeTickRows(batch.symbol, batch.ticks, batch.conflated, token), 'ticks');
    }
    if (batcher.pending > 0 && !window.full) scheduleFlush();
    if (batcher.pending < highWater / 2 && drainWaiters.length > 0) {
      const w = drainWaiters;
      drainWaiters = [];
      w.forEach((r) => r());
    }
  }

  /** Wake up when the oldest pending batch becomes ready. */
  function scheduleFlush() {
    if (flushTimer) return;
    const oldest = batcher.oldest();
    const waitMs = oldest === undefined ? batchWait.ms : Math.max(0, (oldest + batchWait.ms * 1000 - now()) / 1000);
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      pump();
    }, waitMs);
  }

  const sink: TickSink = {
    push(raw: RawTick): boolean {
      const v = validate(raw);
      if (!v.ok) {
        metrics.rejected.inc({ ...label, reason: v.reason });
        rejects.note(v.reason, v.detail, raw.symbol);
        return batcher.pending < highWater;
      }
      if (gate) {
        if (gate.token(v.tick.symbol) === undefined) {
          metrics.unleased.inc(label);
          return batcher.pending < highWater;
        }
        v.tick.seq = gate.seq(v.tick.symbol, v.tick.seq);
      }
      accepted += 1;
      batchWait.note(v.tick.symbol);
      if (v.gap > 0) metrics.gaps.inc(label, v.gap);
      const live = batcher.add(v.tick);
      if (config.bars) {
        const closed = bars.add(v.tick);
        if (closed) pendingBars.push(closed);
      }
      // A full item goes out at once if the window has room; the rest waits for the flush timer or a reply.
      if (live >= config.maxBatch && !window.full) pump();
      else scheduleFlush();
      return batcher.pending < highWater;
    },
    drain: () => (batcher.pending < highWater ? Promise.resolve() : new Promise<void>((r) => drainWaiters.push(r))),
    report(event: SourceEvent) {
      if (event.kind === 'gap') metrics.gaps.inc(label, event.to - event.from + 1);
      if (event.kind === 'malformed') {
        metrics.rejected.inc({ ...label, reason: 'malformed' });
        rejects.note('malformed', event.reason, undefined);
      }
      if (event.kind === 'reconnect') log.info(event, 'source reconnecting');
    },
  };

  return {
    sink,
    // Nothing to wait for (the source runs in the background); a promise like every component's start.
    start(): Promise<void> {
      abort = new AbortController();
      metrics.ticks.inc(label, 0);
      batchWait.start();
      barTimer = setInterval(() => {
        metrics.batchMs.set(label, batchWait.update());
        metrics.ticks.inc(label, accepted);
        metrics.pending.set(label, batcher.pending);
        metrics.inFlight.set(label, window.inFlight);
        accepted = 0;
        for (const b of bars.flushIdle()) pendingBars.push(b);
        pump();
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
      for (const b of bars.flushIdle(true)) pendingBars.push(b);
      while (batcher.pending > 0 || pendingBars.length > 0 || window.inFlight > 0) {
        pump(true);
        await window.idle();
      }
      metrics.ticks.inc(label, accepted);
      accepted = 0;
    },
    async stop(): Promise<void> {
      abort?.abort();
      await running;
      clearInterval(barTimer);
      await batchWait.stop();
      await this.flush();
      clearTimeout(flushTimer);
    },
    state(): ComponentState {
      const s = source.state();
      if (s === 'running' && publishFailing) return 'degraded';
      return s;
    },
    stats() {
      return {
        batchMs: batchWait.ms,
        pending: batcher.pending,
        inFlight: window.inFlight,
        conflated: batcher.conflated,
        rejected: rejects.counts(),
      };
    },
  };
}
export type Feed = ReturnType<typeof createFeed>;
