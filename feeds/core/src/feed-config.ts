export interface FeedConfig {
  /**
   * An instrument that ticked at most this many times a second over the last second is
   * eager: its tick is published at once when none of its items is in flight, and the
   * ticks that arrive while one is collect into the next item, sent on its reply (like
   * Nagle's algorithm, RFC 896). 0: no instrument is eager.
   */
  eagerMaxRate: number;
  /** An instrument above eagerMaxRate collects ticks for at least this long before publishing a batch (ms). */
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
  // A tick waited up to batchMs for nothing at low rates, while an XMPP hop takes about
  // 0.3 ms (docs/benchmarks.md, "Latency floor"). Above it an instrument's items would
  // come one per round trip, which is what batchMs keeps Prosody from.
  eagerMaxRate: 1_000,
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
