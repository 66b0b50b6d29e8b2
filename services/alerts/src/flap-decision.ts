import type { Rule } from '@tickdesk/schemas';
import type { FlapFields } from './store/index.js';

/** What flap control does with a firing of a repeating rule (docs/alerts-protocol.md "Flap control"). */
export type FlapVerdict =
  /** Nothing in the way: stored and sent as today (rate caps still apply). */
  | { kind: 'send' }
  /** The rule reached its maxFirings already (its pause is under way): not stored. */
  | { kind: 'spent' }
  /** Within minGapSeconds of the last firing let through: stored and audited as suppressed. */
  | { kind: 'gap'; detail: string; waitMs: number }
  /** Gathered into the open group's message `into`, if it is still open; else it opens one. */
  | { kind: 'join'; into: string; windowMs: number }
  /** Opens a group: its message goes when the window ends. */
  | { kind: 'open'; windowMs: number };

/** Firings let through of the rule's current version (a change or a resume starts again). */
export const firingsOf = (rule: Pick<Rule, 'version'>, s: FlapFields): number =>
  s.v === rule.version ? (s.n ?? 0) : 0;

/** No I/O: the verdict on a firing at `eventMicros` (event time) and engine time `now` (ms). */
export function decideFlap(
  rule: Pick<Rule, 'id' | 'version' | 'frequency' | 'maxFirings' | 'minGapSeconds' | 'groupWindowSeconds'>,
  s: FlapFields,
  eventMicros: number,
  now: number,
): FlapVerdict {
  if (rule.frequency === 'once') return { kind: 'send' };
  if (rule.maxFirings !== undefined && firingsOf(rule, s) >= rule.maxFirings) return { kind: 'spent' };
  if (rule.minGapSeconds !== undefined && s.last !== undefined && eventMicros >= s.last) {
    const sinceMs = (eventMicros - s.last) / 1000;
    const gapMs = rule.minGapSeconds * 1000;
    if (sinceMs < gapMs)
      return {
        kind: 'gap',
        detail: `reason=min-gap gap=${rule.minGapSeconds}s since-last=${Math.round(sinceMs)}ms`,
        waitMs: Math.ceil(gapMs - sinceMs),
      };
  }
  if (rule.groupWindowSeconds !== undefined) {
    const windowMs = rule.groupWindowSeconds * 1000;
    return s.group !== undefined && (s.groupUntil ?? 0) > now
      ? { kind: 'join', into: s.group, windowMs }
      : { kind: 'open', windowMs };
  }
  return { kind: 'send' };
}
