import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type DropReason =
  'buffer_full' | 'duplicate' | 'malformed' | 'late_candle' | 'candle_buffer_full' | 'stale_publisher';

/** Prometheus metrics of one recorder, registered on `registry`. */
export function createRecorderMetrics(registry: Registry = new Registry(), instruments: () => number = () => 0) {
  const registers = [registry];
  return {
    registry,
    ticks: new Counter({ name: 'tickdesk_recorder_ticks_total', help: 'Ticks handed to the recorder', registers }),
    batches: new Counter({
      name: 'tickdesk_recorder_batches_total',
      help: 'Tick batches handed to the recorder',
      registers,
    }),
    dropped: new Counter({
      name: 'tickdesk_recorder_dropped_total',
      help: 'Ticks (or, for candle_buffer_full, candle updates) not stored, by reason; late_candle counts per interval; stale_publisher: from a feed that lost its lease',
      labelNames: ['reason'] as const,
      registers,
    }),
    flushDuration: new Histogram({
      name: 'tickdesk_recorder_flush_duration_seconds',
      help: 'Time to write one coalesced flush to Redis',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    flushErrors: new Counter({ name: 'tickdesk_recorder_flush_errors_total', help: 'Flushes that failed', registers }),
    fenced: new Counter({
      name: 'tickdesk_recorder_fenced_writes_total',
      help: 'Writes (or warm-ups) of an instrument refused because another recorder holds it with a newer lease token',
      registers,
    }),
    instruments: new Gauge({
      name: 'tickdesk_recorder_instruments',
      help: 'Instruments this recorder records now (with a standby recorder: those whose lease it holds)',
      registers,
      collect() {
        this.set(instruments());
      },
    }),
    pendingTicks: new Gauge({
      name: 'tickdesk_recorder_pending_ticks',
      help: 'Ticks waiting to be written',
      registers,
    }),
  };
}

export type RecorderMetrics = ReturnType<typeof createRecorderMetrics>;
