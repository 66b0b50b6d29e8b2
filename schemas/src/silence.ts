import { Type, type Static } from '@sinclair/typebox';
import { SYMBOL_PATTERN } from './instrument.js';
import { TIMESTAMP_PATTERN, parseTimestamp } from './time.js';
import { xmlTextProblem } from './xml-text.js';

/*
 * Silences (docs/alerts-protocol.md "Silences"): a trader's hold on the alerts addressed to
 * them for one instrument or one rule, from–until, with a reason. The REST API writes them,
 * the alert engine holds and releases alerts by them; both through the one store in
 * @tickdesk/alerts (silences/silence-store.ts). Browser-safe: TypeBox only.
 */

/** The longest reason accepted, in characters. */
export const SILENCE_REASON_MAX_LENGTH = 200;
/** The longest a silence may last unless configured (TICKDESK_API_SILENCE_MAX_SECONDS): 7 days. */
export const DEFAULT_SILENCE_MAX_SECONDS = 7 * 24 * 3600;
/** Silences not yet ended one trader may have unless configured (TICKDESK_API_SILENCES_PER_TRADER_MAX). */
export const DEFAULT_SILENCES_PER_TRADER = 100;
export const SILENCE_ID_PATTERN = '^sl[0-9a-f]{16}$';

const OnEnd = Type.Union([Type.Literal('release'), Type.Literal('retire')], {
  description: 'what happens to the held alerts at the end: delivered as they would have been (default) or retired',
});

/** POST /v1/silences. */
export const SilenceInput = Type.Object(
  {
    symbol: Type.Optional(Type.String({ pattern: SYMBOL_PATTERN, description: 'the instrument (or ruleId)' })),
    ruleId: Type.Optional(Type.String({ pattern: '^r[0-9a-z]{1,32}$', description: 'one of your rules (or symbol)' })),
    from: Type.Optional(Type.String({ pattern: TIMESTAMP_PATTERN, description: 'UTC, XEP-0082; default now' })),
    until: Type.String({ pattern: TIMESTAMP_PATTERN, description: 'UTC, XEP-0082; later than now and from' }),
    reason: Type.String({
      minLength: 1,
      maxLength: 4 * SILENCE_REASON_MAX_LENGTH,
      description: `at most ${SILENCE_REASON_MAX_LENGTH} characters`,
    }),
    onEnd: Type.Optional(OnEnd),
  },
  { additionalProperties: false },
);
export type SilenceInput = Static<typeof SilenceInput>;

/** A stored silence, as GET /v1/silences shows it. */
export const Silence = Type.Object(
  {
    id: Type.String({ pattern: SILENCE_ID_PATTERN }),
    owner: Type.String({ description: 'the trader whose alerts it holds' }),
    symbol: Type.Optional(Type.String()),
    ruleId: Type.Optional(Type.String()),
    from: Type.String(),
    until: Type.String(),
    reason: Type.String(),
    onEnd: OnEnd,
    createdAt: Type.String(),
    /** Set when it was ended before `until` (DELETE). */
    endedAt: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type Silence = Static<typeof Silence>;

/** GET /v1/silences. */
export const SilenceList = Type.Object(
  { silences: Type.Array(Silence), max: Type.Integer({ description: 'silences not yet ended one trader may have' }) },
  { additionalProperties: false },
);
export type SilenceList = Static<typeof SilenceList>;

const ms = (text: string): number => Math.floor((parseTimestamp(text) ?? Number.NaN) / 1000);

/** When a silence stops holding (its `until`, or when it was ended), epoch ms. */
export const silenceEnd = (s: Pick<Silence, 'until' | 'endedAt'>): number =>
  s.endedAt === undefined ? ms(s.until) : Math.min(ms(s.until), ms(s.endedAt));

/** Whether the silence holds alerts at `now` (from ≤ now < end). */
export const silenceActive = (s: Pick<Silence, 'from' | 'until' | 'endedAt'>, now: number): boolean =>
  ms(s.from) <= now && now < silenceEnd(s);

export interface SilenceProblem {
  field: keyof SilenceInput;
  message: string;
}

/**
 * What is wrong with a silence the schema accepted, naming the field: exactly one of symbol
 * and ruleId, until after now and after from, no longer than `maxSeconds`, a reason that
 * can reach a stanza (XML 1.0 §2.2 `Char`).
 */
export function silenceProblem(input: SilenceInput, now: number, maxSeconds: number): SilenceProblem | undefined {
  if ((input.symbol === undefined) === (input.ruleId === undefined))
    return { field: 'symbol', message: 'give exactly one of symbol and ruleId' };
  const from = input.from === undefined ? now : ms(input.from);
  const until = ms(input.until);
  if (Number.isNaN(from)) return { field: 'from', message: 'not a valid UTC timestamp' };
  if (Number.isNaN(until)) return { field: 'until', message: 'not a valid UTC timestamp' };
  if (until <= now) return { field: 'until', message: 'must be in the future' };
  if (until <= from) return { field: 'until', message: 'must be after from' };
  if (until - Math.max(from, now) > maxSeconds * 1000)
    return { field: 'until', message: `a silence may last at most ${maxSeconds} s` };
  if (from > now + maxSeconds * 1000) return { field: 'from', message: `may be at most ${maxSeconds} s ahead` };
  if (input.reason.trim() === '') return { field: 'reason', message: 'must not be blank' };
  if (input.reason.length > SILENCE_REASON_MAX_LENGTH)
    return { field: 'reason', message: `must be at most ${SILENCE_REASON_MAX_LENGTH} characters` };
  const bad = xmlTextProblem(input.reason);
  if (bad) return { field: 'reason', message: bad };
  // It goes into the audit record's one-line detail.
  if (/[\t\n\r]/.test(input.reason)) return { field: 'reason', message: 'must be one line (no tab or line break)' };
  return undefined;
}
