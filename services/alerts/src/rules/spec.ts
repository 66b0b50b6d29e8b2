import { isDecimalString, isSignedDecimalString, type RuleCondition } from '@tickdesk/schemas';
import type { RuleSpec } from './types.js';

/** The longest window the evaluators keep prices for (the schema's maximum windowSeconds). */
export const MAX_WINDOW_SECONDS = 86_400;
export const DEFAULT_COOLDOWN_SECONDS = 60;

/** Condition codes, grouped: transitions (0–4), levels (5–8), moves (9–12). */
export const C = {
  crossing: 0,
  'crossing-up': 1,
  'crossing-down': 2,
  'entering-channel': 3,
  'exiting-channel': 4,
  'greater-than': 5,
  'less-than': 6,
  'inside-channel': 7,
  'outside-channel': 8,
  'moving-up': 9,
  'moving-down': 10,
  'moving-up-percent': 11,
  'moving-down-percent': 12,
} as const satisfies Record<RuleCondition, number>;

// Codes 0–4 compare the previous price with the current one: they fire only on a change of side.
/** Looks at the current price only; fires on every tick where it holds (frequency permitting). */
export const isLevel = (code: number): boolean => code >= 5 && code <= 8;
export const isMove = (code: number): boolean => code >= 9;
export const isChannel = (code: number): boolean => code === 3 || code === 4 || code === 7 || code === 8;

export const FREQ_ONCE = 0;
const FREQ_BAR = 1;
const FREQ_EVERY = 2;
const INTERVAL_MICROS = { '1s': 1_000_000, '1m': 60_000_000, '1h': 3_600_000_000 } as const;

export function frequencyCode(spec: RuleSpec): number {
  return spec.frequency === 'once' ? FREQ_ONCE : spec.frequency === 'once-per-bar' ? FREQ_BAR : FREQ_EVERY;
}

/** The bar length (once-per-bar) or the cooldown (every-time), in µs. */
export function periodMicros(spec: RuleSpec): number {
  if (spec.frequency === 'once-per-bar') return INTERVAL_MICROS[spec.interval!];
  return spec.frequency === 'every-time' ? (spec.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS) * 1_000_000 : 0;
}

/** Event time from which a rule that fired at `t` may fire again; `t` itself for every-time with no cooldown. */
export function wakeTime(freq: number, periodMicros: number, t: number): number {
  return freq === FREQ_BAR ? (Math.floor(t / periodMicros) + 1) * periodMicros : t + periodMicros;
}

function refuse(spec: RuleSpec, what: string): never {
  throw new RangeError(`rule ${spec.id}: ${what}`);
}

const isDec = (v: string | undefined): boolean => v !== undefined && isDecimalString(v);
/** Levels (thresholds, channel bounds) may be zero or negative: a sensor's values are (rule-validation.ts). */
const isLevelValue = (v: string | undefined): boolean => v !== undefined && isSignedDecimalString(v);

/**
 * Refuse a spec the evaluators cannot evaluate (the engine gives them validated rules,
 * so this guards against wiring mistakes, not traders). Channels with lower > upper are
 * allowed: they are simply never inside.
 */
export function checkSpec(spec: RuleSpec): void {
  const code = (C as Record<string, number | undefined>)[spec.condition];
  if (code === undefined) refuse(spec, `unknown condition ${spec.condition}`);
  if (isChannel(code)) {
    if (!isLevelValue(spec.lower) || !isLevelValue(spec.upper)) refuse(spec, 'a channel needs decimal lower and upper');
  } else if (isMove(code)) {
    if (!isDec(spec.amount)) refuse(spec, 'a move needs a decimal amount');
    const w = spec.windowSeconds;
    if (w === undefined || !Number.isInteger(w) || w < 1 || w > MAX_WINDOW_SECONDS)
      refuse(spec, `windowSeconds must be an integer from 1 to ${MAX_WINDOW_SECONDS}`);
  } else if (!isLevelValue(spec.threshold)) refuse(spec, 'needs a decimal threshold');
  if (spec.frequency === 'once-per-bar') {
    if (spec.interval === undefined || !(spec.interval in INTERVAL_MICROS))
      refuse(spec, 'once-per-bar needs an interval');
  } else if (spec.frequency === 'every-time') {
    const c = spec.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS;
    if (!Number.isInteger(c) || c < 0) refuse(spec, 'cooldownSeconds must be a whole number ≥ 0');
  } else if (spec.frequency !== 'once') refuse(spec, `unknown frequency ${String(spec.frequency)}`);
}
