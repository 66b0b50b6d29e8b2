import { Type, type Static } from '@sinclair/typebox';
import { TIMESTAMP_PATTERN } from './time.js';

/** The bounds of the flap-control fields (docs/alerts-protocol.md "Flap control"). */
export const FLAP_LIMITS = {
  maxFirings: { min: 1, max: 10_000 },
  minGapSeconds: { min: 1, max: 86_400 },
  groupWindowSeconds: { min: 1, max: 3_600 },
} as const;
export type FlapField = keyof typeof FLAP_LIMITS;
export const FLAP_FIELDS = Object.keys(FLAP_LIMITS) as FlapField[];

const bounded = (f: FlapField, description: string) =>
  Type.Optional(Type.Integer({ minimum: FLAP_LIMITS[f].min, maximum: FLAP_LIMITS[f].max, description }));

/**
 * Per-rule flap control, every field optional (a rule without them behaves as before).
 * Used by repeating rules (every-time, once-per-bar); a once rule fires once anyway.
 */
export const RuleFlapInput = {
  /** After this many firings the rule pauses itself (pausedReason 'firing-limit'); resuming starts the count again. */
  maxFirings: bounded('maxFirings', 'firings after which the rule pauses itself'),
  /** A firing less than this after the last one let through is stored as suppressed (reason=min-gap), not sent. */
  minGapSeconds: bounded('minGapSeconds', 'seconds of quiet required after a firing that was let through'),
  /** Firings within this window of the first go out as one message listing them all. */
  groupWindowSeconds: bounded('groupWindowSeconds', 'seconds during which firings are gathered into one message'),
};

const at = Type.String({ pattern: TIMESTAMP_PATTERN });

/** Why a rule is held back now, in REST and the dashboard. */
export const RuleLimited = Type.Object({
  /** firing-limit: paused itself after maxFirings; rate-cap: firings over the per-rule or per-owner cap are suppressed; min-gap: a firing came within minGapSeconds. */
  reason: Type.Union([Type.Literal('firing-limit'), Type.Literal('rate-cap'), Type.Literal('min-gap')]),
  since: at,
  /** rate-cap and min-gap: until when it holds unless another firing extends it. */
  until: Type.Optional(at),
  /** In words, e.g. `per-owner cap 60/60s`. */
  detail: Type.Optional(Type.String({ maxLength: 200 })),
});
export type RuleLimited = Static<typeof RuleLimited>;

/** What the engine keeps about a rule's flap control, shown with the stored rule (never written by a trader). */
export const RuleFlapState = Type.Object({
  /** Set when the engine paused the rule itself; cleared when it is resumed. */
  pausedReason: Type.Optional(Type.Literal('firing-limit')),
  pausedAt: Type.Optional(at),
  /** Firings let through since the rule was last created, changed or resumed (rules with maxFirings). */
  firings: Type.Optional(Type.Integer({ minimum: 0 })),
  limited: Type.Optional(RuleLimited),
  /** An open group: its message (alert id) goes at `until`, listing `firings` firings so far. */
  grouping: Type.Optional(Type.Object({ alertId: Type.String(), until: at, firings: Type.Integer({ minimum: 1 }) })),
});
export type RuleFlapState = Static<typeof RuleFlapState>;

/** What is wrong with a flap-control field of a rule of `frequency`, or undefined when it is fine. */
export function flapProblem(field: FlapField, value: unknown, frequency: string): string | undefined {
  const { min, max } = FLAP_LIMITS[field];
  const unit = field === 'maxFirings' ? 'firings' : 'seconds';
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    return `must be a whole number of ${unit} from ${min} to ${max}`;
  if (frequency === 'once') return 'is only used with frequency every-time or once-per-bar';
  return undefined;
}
