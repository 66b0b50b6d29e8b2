import { Type, type Static } from '@sinclair/typebox';
import { loadEnvConfig, resolveConfig, type Env, type EnvSpec } from '@tickdesk/schemas';
import { RecorderError } from './errors.js';

const Count = (def: number, min = 1) => Type.Integer({ minimum: min, maximum: 100_000_000, default: def });

/** Recorder configuration; every field has a default. */
export const RecorderConfig = Type.Object(
  {
    /** Recent ticks kept per instrument (the newest by event time). */
    maxTicksPerInstrument: Count(100_000),
    /** Candles kept per instrument and interval (1s: a day, 1m: 30 days, 1h: a year). */
    candleLimits: Type.Object(
      { '1s': Count(86_400), '1m': Count(43_200), '1h': Count(8_760) },
      { additionalProperties: false, default: {} },
    ),
    /** Writes are coalesced and flushed at most this often. */
    flushIntervalMs: Count(50),
    /** Flush early once this many ticks are waiting; also the ticks held for symbols still warming up. */
    flushMaxTicks: Count(10_000),
    /** Ticks held for Redis at most; beyond it the oldest leave the history (counted). */
    maxPendingTicks: Count(200_000),
    /** Touched candles held for Redis at most; beyond it the oldest are dropped (counted). */
    maxPendingCandles: Count(100_000),
    /** Open buckets per instrument and interval that a late tick can still update. */
    openBuckets: Count(10),
    /** A flush slower than this marks the recorder degraded. */
    flushTimeoutMs: Count(5_000),
    /** `up` runs a second recorder process, `recorder-standby` (0 or 1); each instrument is recorded by whichever holds its lease. */
    standby: Type.Integer({ minimum: 0, maximum: 1, default: 0 }),
    /** This process's part in the leases: off (records everything, no lease), primary, standby (first try after a TTL); `up` sets it. */
    lease: Type.Union([Type.Literal('off'), Type.Literal('primary'), Type.Literal('standby')], { default: 'off' }),
    /** An instrument's lease: a dead or stalled recorder's instruments are taken over within about this. */
    leaseTtlMs: Type.Integer({ minimum: 300, maximum: 60_000, default: 3_000 }),
  },
  { additionalProperties: false },
);
export type RecorderConfig = Static<typeof RecorderConfig>;

/** The variable of each field (a dotted path reaches into candleLimits). */
const VARS = {
  maxTicksPerInstrument: 'TICKDESK_RECORDER_MAX_TICKS',
  'candleLimits.1s': 'TICKDESK_RECORDER_CANDLES_1S',
  'candleLimits.1m': 'TICKDESK_RECORDER_CANDLES_1M',
  'candleLimits.1h': 'TICKDESK_RECORDER_CANDLES_1H',
  flushIntervalMs: 'TICKDESK_RECORDER_FLUSH_MS',
  flushMaxTicks: 'TICKDESK_RECORDER_FLUSH_MAX_TICKS',
  maxPendingTicks: 'TICKDESK_RECORDER_MAX_PENDING_TICKS',
  maxPendingCandles: 'TICKDESK_RECORDER_MAX_PENDING_CANDLES',
  openBuckets: 'TICKDESK_RECORDER_OPEN_BUCKETS',
  flushTimeoutMs: 'TICKDESK_RECORDER_FLUSH_TIMEOUT_MS',
  standby: 'TICKDESK_RECORDER_STANDBY',
  lease: 'TICKDESK_RECORDER_LEASE',
  leaseTtlMs: 'TICKDESK_RECORDER_LEASE_TTL_MS',
} satisfies Record<Exclude<keyof RecorderConfig, 'candleLimits'> | `candleLimits.${'1s' | '1m' | '1h'}`, string>;
const SPEC: EnvSpec<typeof RecorderConfig> = {
  schema: RecorderConfig,
  vars: VARS,
  error: (message) => new RecorderError('TICKDESK_RECORDER_BAD_CONFIG', message),
};

/** The environment variables `loadRecorderConfig` reads. */
export const RECORDER_ENV_VARS = Object.values(VARS);

/** Defaults completed with `partial`; throws when the result is invalid. */
export function resolveRecorderConfig(partial: Partial<RecorderConfig> = {}): RecorderConfig {
  return resolveConfig(SPEC, { ...partial, candleLimits: { ...partial.candleLimits } }, 'recorder config');
}

/** Read the recorder's config from `env`; a bad value throws an error naming the variable. */
export function loadRecorderConfig(env: Env): RecorderConfig {
  return loadEnvConfig(SPEC, env, 'recorder config');
}
