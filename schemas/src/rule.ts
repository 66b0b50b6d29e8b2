import { Type, type Static } from '@sinclair/typebox';
import { DECIMAL_PATTERN, SIGNED_DECIMAL_PATTERN } from './decimal.js';
import { EscalationChain } from './rule-escalation.js';
import { SYMBOL_PATTERN } from './instrument.js';
import { AndCondition, RuleSeries } from './rule-legs.js';
import { TIMESTAMP_PATTERN } from './time.js';
import { RuleFlapInput, RuleFlapState } from './rule-flap.js';

/**
 * Alert conditions on an instrument's price. Crossings and channel entries compare
 * the previous price with the current one; levels look at the current price only;
 * moves compare the current price with the lowest (up) or highest (down) price of
 * the instrument within the last `windowSeconds` of event time.
 */
export const RuleCondition = Type.Union(
  [
    Type.Literal('crossing'),
    Type.Literal('crossing-up'),
    Type.Literal('crossing-down'),
    Type.Literal('greater-than'),
    Type.Literal('less-than'),
    Type.Literal('entering-channel'),
    Type.Literal('exiting-channel'),
    Type.Literal('inside-channel'),
    Type.Literal('outside-channel'),
    Type.Literal('moving-up'),
    Type.Literal('moving-down'),
    Type.Literal('moving-up-percent'),
    Type.Literal('moving-down-percent'),
  ],
  { $id: 'RuleCondition' },
);
export type RuleCondition = Static<typeof RuleCondition>;

/** Every condition, in the schema's order. */
export const RULE_CONDITIONS: readonly RuleCondition[] = RuleCondition.anyOf.map((l) => l.const);

/** once: fire, then the rule goes inactive; once-per-bar: at most once per `interval` bar; every-time: each time, then `cooldownSeconds` of quiet. */
export const RuleFrequency = Type.Union(
  [Type.Literal('once'), Type.Literal('once-per-bar'), Type.Literal('every-time')],
  { $id: 'RuleFrequency' },
);
export type RuleFrequency = Static<typeof RuleFrequency>;

export const RuleInterval = Type.Union([Type.Literal('1s'), Type.Literal('1m'), Type.Literal('1h')]);
export type RuleInterval = Static<typeof RuleInterval>;

export const RulePriority = Type.Union([Type.Literal('normal'), Type.Literal('critical')]);
export type RulePriority = Static<typeof RulePriority>;

export const RuleStatus = Type.Union([
  Type.Literal('active'),
  Type.Literal('paused'),
  Type.Literal('triggered'),
  Type.Literal('expired'),
]);
export type RuleStatus = Static<typeof RuleStatus>;

const decimal = (description: string) => Type.String({ pattern: DECIMAL_PATTERN, maxLength: 40, description });
/** Price levels: a sensor's may be zero or negative (rule-validation.ts keeps market ones unsigned). */
const level = (description: string) => Type.String({ pattern: SIGNED_DECIMAL_PATTERN, maxLength: 40, description });
const USERNAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';
/** A desk username, or a partner desk's trader as a bare JID (`user@peer.domain`, a configured peer only). */
const TRADER_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}(@[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)?$';

/** What a trader writes: the same shape over REST, chat commands and ad-hoc forms. */
export const RuleInput = Type.Object(
  {
    symbol: Type.String({ pattern: SYMBOL_PATTERN }),
    condition: RuleCondition,
    /** crossing, crossing-up, crossing-down, greater-than, less-than. */
    threshold: Type.Optional(level('price level')),
    /** The channel conditions: lower ≤ upper, both inclusive. */
    lower: Type.Optional(level('channel lower bound, inclusive')),
    upper: Type.Optional(level('channel upper bound, inclusive')),
    /** moving-up / moving-down: a price difference; the -percent conditions: a percentage of the window's low (up) or high (down). */
    amount: Type.Optional(decimal('move size: price units, or percent for the -percent conditions')),
    windowSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    frequency: RuleFrequency,
    /** once-per-bar only. */
    interval: Type.Optional(RuleInterval),
    /** every-time only; default 60, at least the desk's minimum (10 unless configured; never 0). */
    cooldownSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    expiresAt: Type.Optional(Type.String({ pattern: TIMESTAMP_PATTERN })),
    /** Who gets the alert (default: the owner): a desk trader, or a partner desk's trader as a bare JID. */
    recipient: Type.Optional(Type.String({ pattern: TRADER_PATTERN })),
    /** A trader (local, or a partner's bare JID) who gets the alert when the recipient does not confirm it in time. */
    backup: Type.Optional(Type.String({ pattern: TRADER_PATTERN })),
    priority: RulePriority,
    message: Type.Optional(Type.String({ maxLength: 500 })),
    /** Flap control (rule-flap.ts): maxFirings, minGapSeconds, groupWindowSeconds. */
    ...RuleFlapInput,
    /** Steps taken while nobody acknowledged an alert of the rule (rule-escalation.ts); absent: the trader's default chain, or none. */
    escalation: Type.Optional(EscalationChain),
    /** The condition applies to a spread or ratio whose first leg is `symbol` (rule-legs.ts); absent: the price of `symbol`. */
    series: Type.Optional(RuleSeries),
    /** More conditions on other instruments, all of which must hold too (at most 4: five in all; rule-legs.ts). */
    and: Type.Optional(Type.Array(AndCondition, { maxItems: 16 })),
  },
  { $id: 'RuleInput', additionalProperties: false },
);
export type RuleInput = Static<typeof RuleInput>;

/** A stored rule: the input plus identity, owner and lifecycle. */
export const Rule = Type.Composite(
  [
    RuleInput,
    Type.Object({
      id: Type.String({ pattern: '^r[0-9a-z]{1,32}$' }),
      owner: Type.String({ pattern: USERNAME_PATTERN }),
      status: RuleStatus,
      createdAt: Type.String({ pattern: TIMESTAMP_PATTERN }),
      updatedAt: Type.String({ pattern: TIMESTAMP_PATTERN }),
      /** Increases on every change; the engine ignores a change older than what it has. */
      version: Type.Integer({ minimum: 1 }),
    }),
    RuleFlapState,
  ],
  { $id: 'Rule', additionalProperties: false },
);
export type Rule = Static<typeof Rule>;

/** What a rule watches: the condition and its parameters, as rules, alerts and the evaluator carry them. */
export type RuleParameters = Pick<
  RuleInput,
  'condition' | 'threshold' | 'lower' | 'upper' | 'amount' | 'windowSeconds'
>;
