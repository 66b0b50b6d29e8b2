import { compareDecimal } from '@tickdesk/schemas';
import { Edge } from './edge-list.js';
import { C, frequencyCode, isChannel, isMove, periodMicros } from './spec.js';
import type { RuleSpec } from './types.js';
import { priceKey } from './price-key.js';

/** Where a rule is: what decides whether a tick looks at it. */
export const PLACE_NONE = 0;
/** In its instrument's level index (transitions and levels) or window group (moves). */
export const PLACE_INDEXED = 1;
/** Evaluated directly on the instrument's next tick. */
export const PLACE_DIRECT = 2;
/** Waiting in the wake-up heap for the end of its bar or cooldown. */
export const PLACE_DORMANT = 3;
/** Removed, fired once, or expired. */
export const PLACE_GONE = 4;

/**
 * Edge kinds: where a boundary price itself belongs, which decides which edges a move
 * from one price to another passes (see level-pass.ts). ABOVE: the price T is on the
 * upper side (p ≥ T, p < T); BELOW: on the lower side (p ≤ T, p > T); CROSS: a
 * crossing, which counts T as reached from either side.
 */
export const KIND_ABOVE = 0;
export const KIND_CROSS = 1;
export const KIND_BELOW = 2;

/**
 * A rule as the index holds it: the spec's numbers pre-parsed, plus where the rule is.
 * The rule is its own first edge (threshold, channel lower bound or move amount): a tick
 * that passes an edge then reaches the rule's fields without another pointer to follow.
 */
export class LiveRule extends Edge<LiveRule> {
  readonly id: string;
  readonly symbol: string;
  readonly code: number;
  readonly freq: number;
  readonly periodMicros: number;
  readonly windowMicros: number;
  readonly expiresAtMicros: number;
  /** The first edge: this rule. */
  readonly a: Edge<LiveRule>;
  /** The channel's upper edge. */
  readonly b: Edge<LiveRule> | null;
  place = PLACE_NONE;
  /** Event time from which a dormant rule may fire again. */
  wake = 0;
  /** The tick that last looked at this rule (a channel has two edges a move may pass). */
  stamp = 0;

  constructor(spec: RuleSpec, seq: number) {
    const code = C[spec.condition];
    const value = isChannel(code) ? spec.lower! : isMove(code) ? spec.amount! : spec.threshold!;
    // p ≥ lower for channels; moves sort by amount only.
    super(priceKey(value), value, isChannel(code) ? KIND_ABOVE : isMove(code) ? 0 : THRESHOLD_KIND[code]!, seq);
    this.id = spec.id;
    this.symbol = spec.symbol;
    this.code = code;
    this.freq = frequencyCode(spec);
    this.periodMicros = periodMicros(spec);
    this.windowMicros = (spec.windowSeconds ?? 0) * 1_000_000;
    this.expiresAtMicros = spec.expiresAtMicros ?? Infinity;
    this.a = this;
    this.b = isChannel(code) ? new Edge<LiveRule>(priceKey(spec.upper!), spec.upper!, KIND_BELOW, seq, this) : null; // p ≤ upper
  }
}

// crossing, crossing-up (p ≥ T), crossing-down (p ≤ T), -, -, greater-than (p > T), less-than (p < T)
const THRESHOLD_KIND = [KIND_CROSS, KIND_ABOVE, KIND_BELOW, -1, -1, KIND_BELOW, KIND_ABOVE];

/** Exact order of two decimals that come with their double keys. */
export function cmp(a: string, aKey: number, b: string, bKey: number): number {
  if (aKey !== bKey) return aKey < bKey ? -1 : 1;
  return a === b ? 0 : compareDecimal(a, b);
}

function inside(r: LiveRule, p: string, key: number): boolean {
  return cmp(p, key, r.a.value, r.a.key) >= 0 && cmp(p, key, r.b!.value, r.b!.key) <= 0;
}

/**
 * Whether a transition or level rule's condition holds on a tick from `prev` (absent
 * before the instrument's first price) to `cur`; exact.
 */
export function holds(
  r: LiveRule,
  hasPrev: boolean,
  prev: string,
  prevKey: number,
  cur: string,
  curKey: number,
): boolean {
  switch (r.code) {
    case C.crossing:
    case C['crossing-up']:
    case C['crossing-down']: {
      if (!hasPrev) return false;
      const p = cmp(prev, prevKey, r.a.value, r.a.key);
      const c = cmp(cur, curKey, r.a.value, r.a.key);
      const up = p < 0 && c >= 0;
      const down = p > 0 && c <= 0;
      return r.code === C.crossing ? up || down : r.code === C['crossing-up'] ? up : down;
    }
    case C['greater-than']:
      return cmp(cur, curKey, r.a.value, r.a.key) > 0;
    case C['less-than']:
      return cmp(cur, curKey, r.a.value, r.a.key) < 0;
    case C['entering-channel']:
      return hasPrev && !inside(r, prev, prevKey) && inside(r, cur, curKey);
    case C['exiting-channel']:
      return hasPrev && inside(r, prev, prevKey) && !inside(r, cur, curKey);
    case C['inside-channel']:
      return inside(r, cur, curKey);
    case C['outside-channel']:
      return !inside(r, cur, curKey);
    default:
      throw new Error(`not a level or transition: ${r.code}`);
  }
}
