import {
  canonicalDecimal,
  canonicalSignedDecimal,
  compareDecimal,
  isDecimalString,
  isPositiveDecimal,
} from './decimal.js';
import type { Instrument } from './instrument.js';
import type { RuleCondition, RuleFrequency, RuleInput } from './rule.js';
import { checkEscalation } from './rule-escalation.js';
import { FLAP_FIELDS, flapProblem } from './rule-flap.js';
import { validateRuleLegs } from './rule-legs.js';
import { parseTimestamp } from './time.js';
import { xmlTextProblem } from './xml-text.js';

/** What the validator needs to know about the desk: the instruments, the traders (when known) and the time. */
export interface RuleValidationContext {
  symbols: ReadonlySet<string>;
  traders?: ReadonlySet<string>;
  /** The partner desks' domains (topology.federation.peers): their traders may be named as bare JIDs. */
  peers?: ReadonlySet<string>;
  nowMicros: number;
  /** The shortest cooldown an every-time rule may have; DEFAULT_MIN_COOLDOWN_SECONDS when absent. */
  minCooldownSeconds?: number;
  /** The sensor instruments among `symbols` and the lowest value each may report (`sensorRanges`). */
  sensors?: ReadonlyMap<string, SensorRange>;
}

/** What rule validation needs of a sensor instrument: its thresholds may be negative; its range decides percentages. */
export interface SensorRange {
  min: string;
}

/** The sensor instruments of a catalogue, for RuleValidationContext.sensors. */
export function sensorRanges(instruments: readonly Instrument[]): Map<string, SensorRange> {
  const out = new Map<string, SensorRange>();
  for (const i of instruments) if (i.kind === 'sensor') out.set(i.symbol, { min: i.min });
  return out;
}

/** A refusal names the offending field, so REST (422) and chat replies can point at it. */
export type RuleValidation = { ok: true; value: RuleInput } | { ok: false; field: string; message: string };

const FIELDS = new Set([
  'symbol',
  'condition',
  'threshold',
  'lower',
  'upper',
  'amount',
  'windowSeconds',
  'frequency',
  'interval',
  'cooldownSeconds',
  'expiresAt',
  'recipient',
  'backup',
  'priority',
  'message',
  'series',
  'and',
  ...FLAP_FIELDS,
  'escalation',
]);
const CONDITION_FIELDS: Record<RuleCondition, readonly string[]> = {
  crossing: ['threshold'],
  'crossing-up': ['threshold'],
  'crossing-down': ['threshold'],
  'greater-than': ['threshold'],
  'less-than': ['threshold'],
  'entering-channel': ['lower', 'upper'],
  'exiting-channel': ['lower', 'upper'],
  'inside-channel': ['lower', 'upper'],
  'outside-channel': ['lower', 'upper'],
  'moving-up': ['amount', 'windowSeconds'],
  'moving-down': ['amount', 'windowSeconds'],
  'moving-up-percent': ['amount', 'windowSeconds'],
  'moving-down-percent': ['amount', 'windowSeconds'],
};
const CONDITION_ONLY = ['threshold', 'lower', 'upper', 'amount', 'windowSeconds'] as const;
const FREQUENCIES: readonly RuleFrequency[] = ['once', 'once-per-bar', 'every-time'];
const INTERVALS = ['1s', '1m', '1h'];
const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
// A bare JID whose local part is a desk username and whose domain is a DNS name (RFC 7622 §3.2, §3.3): no resource.
const REMOTE_RE = /^([a-z0-9][a-z0-9._-]{0,63})@([a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)$/;
const SYMBOL_RE = /^[A-Z0-9][A-Z0-9._-]{0,31}$/;
const MAX_SECONDS = 86_400;
const MAX_MESSAGE = 500;
/** Applied when an every-time rule gives no cooldown, and written into the value so the stored rule says what the engine does. */
export const DEFAULT_COOLDOWN_SECONDS = 60;
/**
 * The shortest cooldown of an every-time rule unless the desk sets another
 * (TICKDESK_ALERTS_MIN_COOLDOWN_S): a rule with none sent one alert per tick (20 rules,
 * 2,829 alerts in 17 s). At 10 s one rule sends at most 6 alerts a minute.
 */
export const DEFAULT_MIN_COOLDOWN_SECONDS = 10;

class Refusal extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
const refuse = (field: string, message: string): never => {
  throw new Refusal(field, message);
};

function decimalField(field: string, value: unknown, signed = false): string {
  if (typeof value === 'number')
    refuse(field, 'must be a decimal string such as 65000.5, in quotes: numbers lose digits');
  if (signed) {
    // "-0.0" is taken as 0; the stored value is canonical, so it never says "-0".
    const magnitude = typeof value === 'string' && value.startsWith('-') ? value.slice(1) : value;
    if (!isDecimalString(magnitude)) refuse(field, 'must be a decimal string such as -18.5 or 8.4');
    return canonicalSignedDecimal(value as string)!;
  }
  if (typeof value === 'string' && value.startsWith('-') && isDecimalString(value.slice(1)))
    refuse(field, 'must not be negative');
  if (!isDecimalString(value)) refuse(field, 'must be a decimal string such as 65000.5');
  return canonicalDecimal(value as string)!;
}

function secondsField(field: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_SECONDS) {
    refuse(field, `must be a whole number of seconds from ${min} to ${MAX_SECONDS}`);
  }
  return value as number;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) refuse(field, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

/**
 * A desk trader's username, or a partner desk's trader as a bare JID: its domain must be one
 * of the desk's peers (topology.federation.peers), whose link the alert can cross.
 */
function traderField(field: string, value: unknown, ctx: RuleValidationContext): string {
  if (typeof value !== 'string') return refuse(field, "must be a trader's username or a partner trader's bare JID");
  const remote = REMOTE_RE.exec(value);
  if (remote) {
    if (!ctx.peers?.has(remote[2]!))
      refuse(field, `${value} is not on a federated desk: ${remote[2]!} is not one of this desk's peers`);
    return value;
  }
  if (!USERNAME_RE.test(value)) refuse(field, "must be a trader's username or a partner trader's bare JID (user@peer)");
  if (ctx.traders && !ctx.traders.has(value)) refuse(field, `unknown trader ${value}`);
  return value;
}

function check(input: unknown, ctx: RuleValidationContext): RuleInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) refuse('rule', 'must be an object');
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!FIELDS.has(key)) refuse(key, 'unknown field');

  if (raw.symbol === undefined) refuse('symbol', 'is required');
  if (typeof raw.symbol !== 'string' || !SYMBOL_RE.test(raw.symbol))
    refuse('symbol', 'must be an instrument symbol such as BTCUSDT');
  const symbol = raw.symbol as string;
  if (!ctx.symbols.has(symbol)) refuse('symbol', `unknown instrument ${symbol}`);

  if (raw.condition === undefined) refuse('condition', 'is required');
  const condition = oneOf('condition', raw.condition, Object.keys(CONDITION_FIELDS) as RuleCondition[]);
  const wanted = CONDITION_FIELDS[condition];
  for (const field of CONDITION_ONLY) {
    const present = raw[field] !== undefined;
    if (present && !wanted.includes(field)) refuse(field, `is not used by condition ${condition}`);
    if (!present && wanted.includes(field)) refuse(field, `is required for condition ${condition}`);
  }
  // Built in the schema's field order, so stored and echoed rules read the same way.
  // A sensor's values may be zero or negative (a freezer at -18.5 °C): so may its levels.
  const sensor = ctx.sensors?.get(symbol);
  if (sensor && condition.endsWith('-percent') && compareDecimal(sensor.min, '0') <= 0)
    refuse(
      'condition',
      `percentage moves are not defined on ${symbol}: its values go down to ${sensor.min}, and a percentage of a value at or below zero has no meaning; use moving-up or moving-down`,
    );
  const out = { symbol, condition } as RuleInput;
  const legs = validateRuleLegs(raw, out, ctx);
  if (!legs.ok) refuse(legs.field, legs.message);
  // A spread's value may be zero or negative, as a sensor's may.
  const signed = sensor !== undefined || (legs.ok && legs.value.series?.kind === 'spread');
  for (const field of ['threshold', 'lower', 'upper', 'amount'] as const) {
    if (raw[field] !== undefined) out[field] = decimalField(field, raw[field], signed && field !== 'amount');
  }
  if (out.lower !== undefined && out.upper !== undefined && compareDecimal(out.lower, out.upper) > 0) {
    refuse('lower', `must not be greater than upper (${out.lower} > ${out.upper})`);
  }
  if (out.amount !== undefined) {
    if (!isPositiveDecimal(out.amount)) refuse('amount', 'must be greater than zero');
    // A fall can lose at most all of the window's high: a larger percentage could never fire.
    if (condition === 'moving-down-percent' && compareDecimal(out.amount, '100') > 0)
      refuse('amount', 'must be at most 100 (percent) for moving-down-percent');
  }
  if (raw.windowSeconds !== undefined) out.windowSeconds = secondsField('windowSeconds', raw.windowSeconds, 1);

  if (raw.frequency === undefined) refuse('frequency', 'is required');
  out.frequency = oneOf('frequency', raw.frequency, FREQUENCIES);
  if (out.frequency === 'once-per-bar') {
    if (raw.interval === undefined) refuse('interval', 'is required for frequency once-per-bar');
    out.interval = oneOf('interval', raw.interval, INTERVALS) as RuleInput['interval'];
  } else if (raw.interval !== undefined) {
    refuse('interval', 'is only used with frequency once-per-bar');
  }
  if (out.frequency === 'every-time') {
    const min = Math.max(1, ctx.minCooldownSeconds ?? DEFAULT_MIN_COOLDOWN_SECONDS);
    out.cooldownSeconds =
      raw.cooldownSeconds === undefined
        ? Math.max(min, DEFAULT_COOLDOWN_SECONDS)
        : secondsField('cooldownSeconds', raw.cooldownSeconds, min);
  } else if (raw.cooldownSeconds !== undefined) {
    refuse('cooldownSeconds', 'is only used with frequency every-time');
  }

  if (raw.expiresAt !== undefined) {
    const micros = typeof raw.expiresAt === 'string' ? parseTimestamp(raw.expiresAt) : undefined;
    if (micros === undefined) refuse('expiresAt', 'must be an XEP-0082 UTC timestamp such as 2026-01-31T17:00:00Z');
    if (micros! <= ctx.nowMicros) refuse('expiresAt', 'must be in the future');
    out.expiresAt = raw.expiresAt as string;
  }
  if (raw.recipient !== undefined) out.recipient = traderField('recipient', raw.recipient, ctx);
  if (raw.backup !== undefined) out.backup = traderField('backup', raw.backup, ctx);
  if (raw.priority === undefined) refuse('priority', 'is required');
  out.priority = oneOf('priority', raw.priority, ['normal', 'critical'] as const);
  if (raw.message !== undefined) {
    if (typeof raw.message !== 'string') refuse('message', 'must be a string');
    // UTF-16 units, as TypeBox's Value.Check counts them (Ajv counts code points): the
    // stricter count keeps every accepted rule valid for both.
    if ((raw.message as string).length > MAX_MESSAGE) refuse('message', `must be at most ${MAX_MESSAGE} characters`);
    // The message goes into every alert's <body/>: XML 1.0 Char only (xml-text.ts).
    const problem = xmlTextProblem(raw.message as string);
    if (problem) refuse('message', problem);
    out.message = raw.message as string;
  }
  if (legs.ok && legs.value.series) out.series = legs.value.series;
  if (legs.ok && legs.value.and) out.and = legs.value.and;
  if (raw.escalation !== undefined) {
    const chain = checkEscalation(raw.escalation, { hasBackup: out.backup !== undefined });
    if (!chain.ok) refuse(chain.field, chain.message);
    else out.escalation = chain.value;
  }
  for (const f of FLAP_FIELDS) {
    if (raw[f] === undefined) continue;
    const problem = flapProblem(f, raw[f], out.frequency);
    if (problem) refuse(f, problem);
    out[f] = raw[f] as number;
  }
  return out;
}

/**
 * Check a trader's rule (REST body, chat command or ad-hoc form) against the desk and
 * return it with canonical decimals (and the default cooldown filled in), or the
 * first problem found, named by field.
 */
export function validateRuleInput(input: unknown, ctx: RuleValidationContext): RuleValidation {
  try {
    return { ok: true, value: check(input, ctx) };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, field: err.field, message: err.message };
    throw err;
  }
}
