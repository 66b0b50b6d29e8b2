import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The feed's Prometheus metrics (docs/operations.md lists them). */
export function createFeedMetrics(registry: Registry = new Registry()) {
  return {
    registry,
    ticks: new Counter({
      name: 'tickdesk_feed_ticks_total',
      help: 'Ticks accepted',
      labelNames: ['feed'],
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'tickdesk_feed_rejected_total',
      help: 'Ticks refused at the feed, by reason',
      labelNames: ['feed', 'reason'],
      registers: [registry],
    }),
    gaps: new Counter({
      name: 'tickdesk_feed_gap_ticks_total',
      help: 'Venue sequence numbers missing',
      labelNames: ['feed'],
      registers: [registry],
    }),
    conflated: new Counter({
      name: 'tickdesk_feed_conflated_total',
      help: 'Ticks dropped under backpressure',
      labelNames: ['feed'],
      registers: [registry],
    }),
    unleased: new Counter({
      name: 'tickdesk_feed_unleased_ticks_total',
      help: "Ticks dropped because this feed does not hold the instrument's lease (a standby, or a publisher that lost it)",
      labelNames: ['feed'],
      registers: [registry],
    }),
    publishes: new Counter({
      name: 'tickdesk_feed_publishes_total',
      help: 'Pubsub items published',
      labelNames: ['feed', 'kind'],
      registers: [registry],
    }),
    publishErrors: new Counter({
      name: 'tickdesk_feed_publish_errors_total',
      help: 'Publishes the server refused or that timed out',
      labelNames: ['feed', 'condition'],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'tickdesk_feed_publishes_in_flight',
      help: 'Publishes awaiting the server',
      labelNames: ['feed'],
      registers: [registry],
    }),
    batchMs: new Gauge({
      name: 'tickdesk_feed_batch_wait_ms',
      help: 'How long a tick item collects ticks before it is published',
      labelNames: ['feed'],
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'tickdesk_feed_pending_ticks',
      help: 'Ticks waiting to be published',
      labelNames: ['feed'],
      registers: [registry],
    }),
    publishSeconds: new Histogram({
      name: 'tickdesk_feed_publish_seconds',
      help: 'Publish round trip',
      labelNames: ['feed'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
}
export type FeedMetrics = ReturnType<typeof createFeedMetrics>;
