import { Counter, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one alert engine, registered on `registry`. */
export function createAlertsMetrics(registry: Registry = new Registry()) {
  const registers = [registry];
  return {
    registry,
    ticks: new Counter({ name: 'tickdesk_alerts_ticks_total', help: 'Ticks evaluated against the rules', registers }),
    fired: new Counter({
      name: 'tickdesk_alerts_fired_total',
      help: 'Alerts fired (written to the outbox)',
      registers,
    }),
    steps: new Counter({
      name: 'tickdesk_alerts_steps_total',
      help: 'Alert lifecycle steps recorded, by event (sent, server-acked, delivered, resent, escalated, held, …)',
      labelNames: ['event'] as const,
      registers,
    }),
    suppressed: new Counter({
      name: 'tickdesk_alerts_suppressed_total',
      help: "Firings recorded as suppressed and not sent, by cap (rule, owner: rate caps; min-gap: a rule's minimum gap)",
      labelNames: ['cap'] as const,
      registers,
    }),
    retired: new Counter({
      name: 'tickdesk_alerts_retired_total',
      help: 'Outstanding alerts retired (no more resends), by reason (rule-deleted, rule-paused, trader-disabled, backup-disabled)',
      labelNames: ['reason'] as const,
      registers,
    }),
    rulesPaused: new Counter({
      name: 'tickdesk_alerts_rules_paused_total',
      help: 'Rules the engine paused: their owner was disabled, or they reached their firing limit (maxFirings)',
      registers,
    }),
    ignored: new Counter({
      name: 'tickdesk_alerts_ignored_confirmations_total',
      help: 'Receipts and markers that changed nothing, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    evaluation: new Histogram({
      name: 'tickdesk_alerts_batch_seconds',
      help: 'Time from a tick batch arriving to its firings being in the outbox',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    delivery: new Histogram({
      name: 'tickdesk_alerts_fired_to_delivered_seconds',
      help: 'Time from firing to the first receipt',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
  };
}
export type AlertsMetrics = ReturnType<typeof createAlertsMetrics>;
