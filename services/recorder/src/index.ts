export { createRecorder, type Recorder, type RecorderFence, type RecorderStats } from './recorder.js';
export type { RecorderState } from './recorder-health.js';
export {
  createRecorderStore,
  toBar,
  type RecorderStore,
  type TickPage,
  type StoreLimits,
  type SymbolSeed,
  type CandleMembers,
} from './recorder-store.js';
export {
  createCandleAggregator,
  ALL_INTERVALS,
  type Candle,
  type CandleAggregator,
  type CandleTick,
} from './candle-aggregator.js';
export { RecorderConfig, loadRecorderConfig, resolveRecorderConfig, RECORDER_ENV_VARS } from './config.js';
export { LAST_KEY, ticksKey, candlesKey, finalKey, recordedKey, finalField, decodeCandle } from './redis-layout.js';
export { createRecorderMetrics, type RecorderMetrics, type DropReason } from './recorder-metrics.js';
export { RecorderError, type RecorderErrorCode } from './errors.js';
export { startRecorderService, type RecorderService, type RecorderServiceDeps } from './recorder-service.js';
export { createRecorderLeases, type RecorderLeases, type RecorderLeaseOptions } from './recorder-leases.js';
