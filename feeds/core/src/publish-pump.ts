import type { Logger } from 'pino';
import { barsNode, encodeBar, encodeTickRows, ticksNode, type Bar } from '@tickdesk/schemas';
import { toXmppError, type Pubsub } from '@tickdesk/xmpp';
import type { FeedConfig } from './feed-config.js';
import type { FeedMetrics } from './metrics.js';
import type { PublishGate } from './publisher-leases.js';
import { createPublishWindow } from './publish-window.js';
import type { TickOutcome } from './source.js';
import type { BatchedTick, PendingBatch, TickBatcher } from './tick-batcher.js';

export interface PublishPumpDeps {
  pubsub: Pubsub;
  batcher: TickBatcher;
  /** The current batch wait, and which instruments publish at once (adaptive-batch.ts). */
  batchWait: { readonly ms: number; eager(symbol: string): boolean };
  config: Pick<FeedConfig, 'maxBatch' | 'maxInFlight' | 'maxPendingPerInstrument' | 'publishTimeoutMs'>;
  metrics: FeedMetrics;
  label: { feed: string };
  log: Logger;
  /** Microseconds. */
  now: () => number;
  connected: () => boolean;
  gate: PublishGate | undefined;
  /** Sensor instruments' symbols: their items say kind="sensor", as their values may be zero or negative. */
  sensors: ReadonlySet<string>;
}

/**
 * Takes bars and tick batches to ticks/<SYMBOL> and bars/<SYMBOL> with at most
 * `maxInFlight` publishes outstanding, and holds the source back (`hasRoom`, `drain`)
 * while `maxPendingPerInstrument` ticks wait.
 */
export function createPublishPump({
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
  sensors,
}: PublishPumpDeps) {
  const pendingBars: Bar[] = [];
  const window = createPublishWindow(config.maxInFlight);
  const highWater = config.maxPendingPerInstrument;
  let drainWaiters: Array<() => void> = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let publishFailing = false;
  // Tick items outstanding per instrument: an eager instrument's partial batch waits while it has one.
  const outstanding = new Map<string, number>();
  const awaitingReply = (symbol: string) => (outstanding.get(symbol) ?? 0) > 0;

  function settle(ticks: readonly BatchedTick[], outcome: TickOutcome): void {
    for (const t of ticks) t.settled?.(outcome);
  }

  function publish(
    node: string,
    payload: ReturnType<typeof encodeBar>,
    kind: 'ticks' | 'bars',
    ticks: readonly BatchedTick[] = [],
  ) {
    const started = performance.now();
    const symbol = ticks[0]?.symbol;
    if (symbol !== undefined) outstanding.set(symbol, (outstanding.get(symbol) ?? 0) + 1);
    pubsub
      .publish(node, payload, undefined, config.publishTimeoutMs)
      .then(() => {
        settle(ticks, 'published');
        publishFailing = false;
        metrics.publishes.inc({ ...label, kind });
        metrics.publishSeconds.observe(label, (performance.now() - started) / 1000);
      })
      .catch((err: unknown) => {
        const e = toXmppError(err, `publish ${node}`);
        settle(ticks, 'failed');
        publishFailing = true;
        metrics.publishErrors.inc({ ...label, condition: e.condition ?? e.code });
        log.warn({ node, err: e }, 'publish failed');
      })
      .finally(() => {
        if (symbol !== undefined) outstanding.set(symbol, outstanding.get(symbol)! - 1);
        window.release();
        pump();
      });
  }

  /**
   * Publish while the window has room: bars first (few, small), then tick batches that
   * are full, or of an eager instrument with none of its items in flight, or `batchMs`
   * old. An eager instrument's ticks wait for its outstanding item's reply, or `batchMs`
   * if that is sooner (a stalled server makes them no later than before), so a quiet
   * desk publishes each tick at once and a busier one batches by round trip. A loaded
   * instrument's young partial batches wait even when a reply frees the window:
   * the server's cost is mostly per item, so items stay as large as the latency budget
   * allows (docs/benchmarks.md).
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
      publish(barsNode(bar.symbol), encodeBar(bar, sensors.has(bar.symbol) ? 'sensor' : undefined), 'bars');
    }
    let batch: PendingBatch | undefined;
    const readyBefore = now() - batchWait.ms * 1000;
    const ready = (symbol: string, oldest: number) =>
      everything || oldest <= readyBefore || (batchWait.eager(symbol) && !awaitingReply(symbol));
    while (batcher.pending > 0 && window.tryAcquire()) {
      batch = batcher.take(ready);
      if (!batch) {
        window.release();
        break;
      }
      if (batch.conflated > 0) metrics.conflated.inc(label, batch.conflated);
      // Checked at the last moment: a holder past its lease's deadline publishes nothing more.
      const token = gate?.token(batch.symbol);
      if (gate && token === undefined) {
        window.release();
        // Held while the lease is only uncertain, to go first when taken again (publisher-leases.ts).
        if (gate.hold?.(batch.symbol, batch.ticks, true)) continue;
        metrics.unleased.inc(label, batch.ticks.length);
        settle(batch.ticks, 'dropped');
        continue;
      }
      publish(
        ticksNode(batch.symbol),
        encodeTickRows(
          batch.symbol,
          batch.ticks,
          batch.conflated,
          token,
          sensors.has(batch.symbol) ? 'sensor' : undefined,
        ),
        'ticks',
        batch.ticks,
      );
    }
    if (batcher.pending > 0 && !window.full) scheduleFlush();
    if (batcher.pending < highWater / 2 && drainWaiters.length > 0) {
      const w = drainWaiters;
      drainWaiters = [];
      w.forEach((r) => r());
    }
  }

  /** Wake up when the oldest pending batch becomes ready by age. */
  function scheduleFlush() {
    if (flushTimer) return;
    const oldest = batcher.oldest();
    const waitMs = oldest === undefined ? batchWait.ms : Math.max(0, (oldest + batchWait.ms * 1000 - now()) / 1000);
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      pump();
    }, waitMs);
  }

  return {
    pump,
    queueBar: (bar: Bar): void => void pendingBars.push(bar),
    /** A tick of `symbol` was batched and `live` ticks of it wait. */
    batched(symbol: string, live: number): void {
      // A full item, or an eager instrument's with none in flight, goes out at once if the
      // window has room; the rest waits for the flush timer or a reply.
      const atOnce = live >= config.maxBatch || (batchWait.eager(symbol) && !awaitingReply(symbol));
      if (atOnce && !window.full) pump();
      else scheduleFlush();
    },
    hasRoom: (): boolean => batcher.pending < highWater,
    drain: (): Promise<void> =>
      batcher.pending < highWater ? Promise.resolve() : new Promise<void>((r) => drainWaiters.push(r)),
    /** Publish everything waiting, ready or not, and wait for every reply. */
    async flush(): Promise<void> {
      while (batcher.pending > 0 || pendingBars.length > 0 || window.inFlight > 0) {
        pump(true);
        await window.idle();
      }
    },
    stop: (): void => clearTimeout(flushTimer),
    get failing(): boolean {
      return publishFailing;
    },
    get inFlight(): number {
      return window.inFlight;
    },
  };
}
export type PublishPump = ReturnType<typeof createPublishPump>;
