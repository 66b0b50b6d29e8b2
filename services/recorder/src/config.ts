import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
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
  },
  { additionalProperties: false },
);
export type RecorderConfig = Static<typeof RecorderConfig>;

type Flat = Exclude<keyof RecorderConfig, 'candleLimits'>;
const ENV: Record<string, Flat | `candleLimits.${'1s' | '1m' | '1h'}`> = {
  TICKDESK_RECORDER_MAX_TICKS: 'maxTicksPerInstrument',
  TICKDESK_RECORDER_CANDLES_1S: 'candleLimits.1s',
  TICKDESK_RECORDER_CANDLES_1M: 'candleLimits.1m',
  TICKDESK_RECORDER_CANDLES_1H: 'candleLimits.1h',
  TICKDESK_RECORDER_FLUSH_MS: 'flushIntervalMs',
  TICKDESK_RECORDER_FLUSH_MAX_TICKS: 'flushMaxTicks',
  TICKDESK_RECORDER_MAX_PENDING_TICKS: 'maxPendingTicks',
  TICKDESK_RECORDER_MAX_PENDING_CANDLES: 'maxPendingCandles',
  TICKDESK_RECORDER_OPEN_BUCKETS: 'openBuckets',
  TICKDESK_RECORDER_FLUSH_TIMEOUT_MS: 'flushTimeoutMs',
};

/** The environment variables `loadRecorderConfig` reads. */
export const RECORDER_ENV_VARS = Object.keys(ENV);

/** Defaults completed with `partial`; throws when the result is invalid. */
export function resolveRecorderConfig(partial: Partial<RecorderConfig> = {}): RecorderConfig {
  const input = { ...partial, candleLimits: { ...partial.candleLimits } };
  const config = Value.Default(RecorderConfig, input) as RecorderConfig;
  const error = Value.Errors(RecorderConfig, config).First();
  if (error) throw new RecorderError('TICKDESK_RECORDER_BAD_CONFIG', `recorder config ${error.path}: ${error.message}`);
  return config;
}

/** Read the recorder's config from `env`; a bad value throws an error naming the variable. */
export function loadRecorderConfig(env: Record<string, string | undefined>): RecorderConfig {
  const partial: Record<string, unknown> = {};
  const limits: Record<string, number> = {};
  for (const [name, field] of Object.entries(ENV)) {
    const text = env[name];
    if (text === undefined || text.trim() === '') continue;
    const value = /^[0-9]{1,9}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
    const schema = field.startsWith('candleLimits.')
      ? RecorderConfig.properties.candleLimits.properties[field.slice(13) as '1s']
      : RecorderConfig.properties[field as Flat];
    if (!Value.Check(schema, value)) {
      const { minimum, maximum } = schema as { minimum: number; maximum: number };
      throw new RecorderError(
        'TICKDESK_RECORDER_BAD_CONFIG',
        `${name}=${JSON.stringify(text)} is invalid: expected an integer from ${minimum} to ${maximum}`,
      );
    }
    if (field.startsWith('candleLimits.')) limits[field.slice(13)] = value;
    else partial[field] = value;
  }
  return resolveRecorderConfig({ ...partial, candleLimits: limits } as Partial<RecorderConfig>);
}
