import type { Side } from '@tickdesk/schemas';

/**
 * A trade as an adapter read it from its venue, before validation. Prices and sizes
 * stay the venue's text; the core parses and checks them once (docs/architecture.md).
 */
export interface RawTick {
  symbol: string;
  /** Venue trade id; when absent the core numbers ticks per instrument itself. */
  seq?: number;
  price: string;
  size: string;
  side?: Side;
  /** Venue event time, microseconds since the Unix epoch (UTC). */
  eventTimeMicros: number;
  /**
   * Called once with what became of the tick, for a source that acknowledges its own
   * upstream only then (the MQTT adapter's PUBACK). Ticks conflated into a gap count as
   * dropped; a tick in an item whose publish failed is not retried.
   */
  settled?: (outcome: TickOutcome) => void;
}

/** published: the pubsub service answered the item's publish; refused: invalid; dropped: conflated or not leased; failed: the publish failed. */
export type TickOutcome = 'published' | 'refused' | 'dropped' | 'failed';

/** Where an adapter delivers raw ticks. */
export interface TickSink {
  /**
   * Hand over one tick. Returns false when the core would like the source to slow
   * down (replay as fast as possible waits on `drain()`); live sources keep pushing
   * and the core conflates.
   */
  push(tick: RawTick): boolean;
  /** Resolves when the core has room again. */
  drain(): Promise<void>;
  /** A venue gap (missing trade ids) or other data-quality event, counted by reason. */
  report(event: SourceEvent): void;
}

export type SourceEvent =
  | { kind: 'gap'; symbol: string; from: number; to: number }
  | { kind: 'reconnect'; attempt: number; delayMs: number }
  | { kind: 'malformed'; reason: string; raw?: string };

export type ComponentState = 'starting' | 'running' | 'degraded' | 'stopped' | 'faulted';

/** A feed adapter: synthetic, replay, or a venue. */
export interface FeedSource {
  readonly name: string;
  /** Starts producing; resolves when the source is exhausted (replay) or stopped. */
  run(sink: TickSink, signal: AbortSignal): Promise<void>;
  state(): ComponentState;
}
