import { Counter, Registry } from 'prom-client';
import type { RefusalReason } from './sensor-payload.js';

const REASONS: readonly RefusalReason[] = [
  'not-decimal',
  'too-precise',
  'out-of-range',
  'unmapped-topic',
  'future-time',
  'bad-time',
  'too-large',
  'retained-skipped',
];

/** The adapter's Prometheus metrics, in the feed process's registry (docs/operations.md lists them). */
export function createMqttMetrics(registry: Registry = new Registry()) {
  const refused = new Counter({
    name: 'tickdesk_mqtt_refused_total',
    help: 'Sensor messages that became no tick, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  // Every reason shows from the start, at 0, so a rate over it is defined.
  for (const reason of REASONS) refused.inc({ reason }, 0);
  return {
    registry,
    refused,
    messages: new Counter({
      name: 'tickdesk_mqtt_messages_total',
      help: 'Sensor messages received from the broker',
      registers: [registry],
    }),
    repeated: new Counter({
      name: 'tickdesk_mqtt_repeated_total',
      help: 'Messages the broker sent again after their tick was published: acknowledged, not published twice',
      registers: [registry],
    }),
    sessions: new Counter({
      name: 'tickdesk_mqtt_sessions_total',
      help: 'MQTT sessions opened with the broker (1 + reconnects)',
      registers: [registry],
    }),
  };
}
export type MqttMetrics = ReturnType<typeof createMqttMetrics>;
