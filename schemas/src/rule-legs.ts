import { Type, type Static } from '@sinclair/typebox';
import { canonicalSignedDecimal, compareDecimal, isDecimalString } from './decimal.js';
import type { RuleCondition } from './rule.js';

/*
 * Rules across instruments (docs/alerts-protocol.md "Rules across instruments"). The
 * schemas stay loose where validateRuleLegs refuses with the field named (422), so that a
 * trader learns which leg or coefficient is wrong instead of a schema error.
 */

/** One leg of a spread: coefficient × the instrument's last price. */
export const SpreadLeg = Type.Object(
  {
    symbol: Type.String({ maxLength: 32 }),
    /** An exact decimal, never zero, may be negative: "-15". */
    coefficient: Type.String({ maxLength: 40, description: 'exact decimal such as -15 or 0.5; never 0' }),
  },
  { additionalProperties: false },
);
export type SpreadLeg = Static<typeof SpreadLeg>;

/**
 * A derived series the rule's condition applies to instead of the price of `symbol`:
 * spread: Σ coefficient × price over 2 to 5 legs (the first leg is the rule's symbol);
 * ratio: numerator ÷ denominator (numerator = the rule's symbol), compared exactly.
 */
export const RuleSeries = Type.Union(
  [
    Type.Object(
      { kind: Type.Literal('spread'), legs: Type.Array(SpreadLeg, { maxItems: 16 }) },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        kind: Type.Literal('ratio'),
        numerator: Type.String({ maxLength: 32 }),
        denominator: Type.String({ maxLength: 32 }),
      },
      { additionalProperties: false },
    ),
  ],
  { $id: 'RuleSeries' },
);
export type RuleSeries = Static<typeof RuleSeries>;

/** One more condition of an AND rule, on another (or the same) instrument's price. */
export const AndCondition = Type.Object(
  {
    symbol: Type.String({ maxLength: 32 }),
    /** A level, a one-way crossing or a channel condition (AND_CONDITIONS). */
    condition: Type.String({ maxLength: 40 }),
    threshold: Type.Optional(Type.String({ maxLength: 40 })),
    lower: Type.Optional(Type.String({ maxLength: 40 })),
    upper: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { $id: 'AndCondition', additionalProperties: false },
);
export type AndCondition = Static<typeof AndCondition>;

/** The conditions an AND may hold: `crossing` (either way) and moves have no clear meaning beside other conditions. */
export const AND_CONDITIONS: readonly RuleCondition[] = [
  'crossing-up',
  'crossing-down',
  'greater-than',
  'less-than',
  'entering-channel',
  'exiting-channel',
  'inside-channel',
  'outside-channel',
];

/** Legs of a spread, and conditions of an AND rule (the rule's own condition included). */
export const MAX_LEGS = 5;
export const MAX_AND_CONDITIONS = 5;
/** Coefficients keep at most this many digits after the point, so that a spread stays a short exact decimal. */
export const MAX_COEFFICIENT_DECIMALS = 12;

/** What validateRuleLegs needs of the desk. */
export interface RuleLegsContext {
  symbols: ReadonlySet<string>;
  sensors?: ReadonlyMap<string, unknown>;
}

/** The rule's own fields validateRuleLegs looks at. */
export interface RuleLegsInput {
  symbol: string;
  condition: RuleCondition;
}

export type LegsRefusal = { field: string; message: string };
type Checked<T> = { ok: true; value: T } | ({ ok: false } & LegsRefusal);

const SYMBOL_RE = /^[A-Z0-9][A-Z0-9._-]{0,31}$/;
const TRANSITIONS: readonly RuleCondition[] = [
  'crossing',
  'crossing-up',
  'crossing-down',
  'entering-channel',
  'exiting-channel',
];
const CHANNELS: readonly RuleCondition[] = ['entering-channel', 'exiting-channel', 'inside-channel', 'outside-channel'];

class LegsError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
const refuse = (field: string, message: string): never => {
  throw new LegsError(field, message);
};

function symbolAt(field: string, value: unknown, ctx: RuleLegsContext, market: boolean): string {
  if (typeof value !== 'string' || !SYMBOL_RE.test(value))
    refuse(field, 'must be an instrument symbol such as ETHUSDT');
  if (!ctx.symbols.has(value as string)) refuse(field, `unknown instrument ${value as string}`);
  // A spread or ratio of a temperature and a price has no meaning; AND conditions may mix them.
  if (market && ctx.sensors?.has(value as string))
    refuse(field, `${value as string} is a sensor: spreads and ratios are of market instruments only`);
  return value as string;
}

function coefficientAt(field: string, value: unknown): string {
  if (typeof value !== 'string') return refuse(field, 'must be a decimal string such as -15, in quotes');
  const negative = value.startsWith('-');
  if (!isDecimalString(negative ? value.slice(1) : value)) refuse(field, 'must be an exact decimal such as -15 or 0.5');
  const c = canonicalSignedDecimal(value)!;
  if (c === '0') refuse(field, 'must not be zero: a zero leg adds nothing');
  const dot = c.indexOf('.');
  if (dot >= 0 && c.length - dot - 1 > MAX_COEFFICIENT_DECIMALS)
    refuse(field, `must have at most ${MAX_COEFFICIENT_DECIMALS} digits after the point`);
  return c;
}

function seriesOf(raw: unknown, rule: RuleLegsInput, ctx: RuleLegsContext): RuleSeries {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return refuse('series', 'must be an object');
  const s = raw as Record<string, unknown>;
  if (rule.condition.startsWith('moving') && s.kind === 'ratio')
    refuse('condition', 'moves are not defined on a ratio: use a level, a crossing or a channel');
  if (rule.condition.endsWith('-percent'))
    refuse('condition', 'percentage moves are not defined on a spread, whose value may be zero or negative');
  symbolAt('symbol', rule.symbol, ctx, true);
  if (s.kind === 'ratio') {
    for (const k of Object.keys(s))
      if (!['kind', 'numerator', 'denominator'].includes(k)) refuse(`series.${k}`, 'unknown field');
    const numerator = symbolAt('series.numerator', s.numerator, ctx, true);
    const denominator = symbolAt('series.denominator', s.denominator, ctx, true);
    if (numerator !== rule.symbol) refuse('series.numerator', `must be the rule's symbol ${rule.symbol}`);
    if (denominator === numerator) refuse('series.denominator', 'must not repeat the numerator');
    return { kind: 'ratio', numerator, denominator };
  }
  if (s.kind !== 'spread') return refuse('series.kind', 'must be one of spread, ratio');
  for (const k of Object.keys(s)) if (!['kind', 'legs'].includes(k)) refuse(`series.${k}`, 'unknown field');
  if (!Array.isArray(s.legs)) return refuse('series.legs', 'must be a list of legs');
  if (s.legs.length < 2 || s.legs.length > MAX_LEGS)
    refuse('series.legs', `must have from 2 to ${MAX_LEGS} legs (${s.legs.length} given)`);
  const seen = new Set<string>();
  const legs = (s.legs as unknown[]).map((leg, i) => {
    const at = `series.legs[${i}]`;
    if (typeof leg !== 'object' || leg === null || Array.isArray(leg)) return refuse(at, 'must be an object');
    const l = leg as Record<string, unknown>;
    for (const k of Object.keys(l)) if (k !== 'symbol' && k !== 'coefficient') refuse(`${at}.${k}`, 'unknown field');
    const symbol = symbolAt(`${at}.symbol`, l.symbol, ctx, true);
    if (seen.has(symbol)) refuse(`${at}.symbol`, `${symbol} is already a leg`);
    seen.add(symbol);
    return { symbol, coefficient: coefficientAt(`${at}.coefficient`, l.coefficient) };
  });
  if (legs[0]!.symbol !== rule.symbol) refuse('series.legs[0].symbol', `must be the rule's symbol ${rule.symbol}`);
  return { kind: 'spread', legs };
}

function levelAt(field: string, value: unknown, signed: boolean): string {
  if (typeof value !== 'string') return refuse(field, 'must be a decimal string such as 3000.5, in quotes');
  const negative = value.startsWith('-');
  if (!isDecimalString(negative ? value.slice(1) : value) || (negative && !signed))
    refuse(field, signed ? 'must be a decimal string such as -18.5' : 'must be a decimal string such as 3000.5');
  return canonicalSignedDecimal(value)!;
}

function andOf(raw: unknown, rule: RuleLegsInput, ctx: RuleLegsContext): AndCondition[] {
  if (!Array.isArray(raw)) return refuse('and', 'must be a list of conditions');
  if (raw.length < 1 || raw.length > MAX_AND_CONDITIONS - 1)
    refuse('and', `must hold from 1 to ${MAX_AND_CONDITIONS - 1} conditions: at most ${MAX_AND_CONDITIONS} in all`);
  if (!AND_CONDITIONS.includes(rule.condition))
    refuse('condition', `must be one of ${AND_CONDITIONS.join(', ')} in an AND rule`);
  let transitions = TRANSITIONS.includes(rule.condition) ? 1 : 0;
  return (raw as unknown[]).map((c, i) => {
    const at = `and[${i}]`;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) return refuse(at, 'must be an object');
    const x = c as Record<string, unknown>;
    for (const k of Object.keys(x))
      if (!['symbol', 'condition', 'threshold', 'lower', 'upper'].includes(k)) refuse(`${at}.${k}`, 'unknown field');
    const symbol = symbolAt(`${at}.symbol`, x.symbol, ctx, false);
    const condition = x.condition as RuleCondition;
    if (!AND_CONDITIONS.includes(condition))
      refuse(
        `${at}.condition`,
        `must be one of ${AND_CONDITIONS.join(', ')} (moves and two-way crossings cannot be part of an AND)`,
      );
    // Two transitions hold together only on one tick of one instrument: refused as a trap.
    if (TRANSITIONS.includes(condition) && ++transitions > 1)
      refuse(`${at}.condition`, 'an AND may hold at most one crossing or channel entry/exit; the others are levels');
    const signed = ctx.sensors?.has(symbol) ?? false;
    const out: AndCondition = { symbol, condition };
    if (CHANNELS.includes(condition)) {
      if (x.threshold !== undefined) refuse(`${at}.threshold`, `is not used by condition ${condition}`);
      out.lower = levelAt(`${at}.lower`, x.lower ?? refuse(`${at}.lower`, 'is required'), signed);
      out.upper = levelAt(`${at}.upper`, x.upper ?? refuse(`${at}.upper`, 'is required'), signed);
      if (compareDecimal(out.lower, out.upper) > 0) refuse(`${at}.lower`, 'must not be greater than upper');
    } else {
      if (x.lower !== undefined || x.upper !== undefined)
        refuse(`${at}.${x.lower !== undefined ? 'lower' : 'upper'}`, `is not used by condition ${condition}`);
      out.threshold = levelAt(`${at}.threshold`, x.threshold ?? refuse(`${at}.threshold`, 'is required'), signed);
    }
    return out;
  });
}

/**
 * Check a rule's `series` and `and` fields (either may be absent: today's single-instrument
 * rule). Returns their canonical values, or the first problem named by field.
 */
export function validateRuleLegs(
  raw: { series?: unknown; and?: unknown },
  rule: RuleLegsInput,
  ctx: RuleLegsContext,
): Checked<{ series?: RuleSeries; and?: AndCondition[] }> {
  try {
    if (raw.series !== undefined && raw.and !== undefined)
      refuse('and', 'cannot be combined with series: an AND holds conditions on instruments');
    const value: { series?: RuleSeries; and?: AndCondition[] } = {};
    if (raw.series !== undefined) value.series = seriesOf(raw.series, rule, ctx);
    if (raw.and !== undefined) value.and = andOf(raw.and, rule, ctx);
    return { ok: true, value };
  } catch (err) {
    if (err instanceof LegsError) return { ok: false, field: err.field, message: err.message };
    throw err;
  }
}

/** The instruments a rule reads: its symbol first, then each other leg or AND condition's, once. */
export function ruleSymbols(rule: { symbol: string; series?: RuleSeries; and?: readonly AndCondition[] }): string[] {
  const out = [rule.symbol];
  const add = (s: string) => {
    if (!out.includes(s)) out.push(s);
  };
  if (rule.series?.kind === 'spread') rule.series.legs.forEach((l) => add(l.symbol));
  if (rule.series?.kind === 'ratio') add(rule.series.denominator);
  rule.and?.forEach((c) => add(c.symbol));
  return out;
}
