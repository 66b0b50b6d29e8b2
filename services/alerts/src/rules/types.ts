import type { AndCondition, RuleFrequency, RuleInterval, RuleParameters, RuleSeries } from '@tickdesk/schemas';

/** The part of a stored Rule that evaluation needs; decimals are canonical strings. */
export interface RuleSpec extends RuleParameters {
  id: string;
  symbol: string;
  frequency: RuleFrequency;
  interval?: RuleInterval;
  /** every-time only; 60 when absent. */
  cooldownSeconds?: number;
  /**
   * The expiry: the rule never fires on a tick whose event time is at or after it, and
   * `expire(now)` removes it once the wall clock reaches it.
   */
  expiresAtMicros?: number;
  /**
   * Event time of the rule's last firing, when known (after a restart or an edit): a
   * once-per-bar or every-time rule starts dormant, as if it had just fired then.
   */
  lastFiredMicros?: number;
  /** The condition applies to this spread or ratio (its first leg is `symbol`) instead of the price of `symbol`. */
  series?: RuleSeries;
  /** More conditions, on any instruments, that must hold with the rule's own (cross-evaluator.ts). */
  and?: readonly AndCondition[];
}

/** One price of one instrument, in feed order. */
export interface EvalTick {
  seq: number;
  price: string;
  eventMicros: number;
}

/** A rule that fired on a tick. */
export interface Firing {
  ruleId: string;
  symbol: string;
  /** The tick's seq, price and event time. */
  seq: number;
  price: string;
  /** The instrument's price before this tick, when there was one. */
  previousPrice?: string;
  /** Moves only: the window's low (moving up) or high (moving down). */
  reference?: string;
  eventMicros: number;
  /** Rules across instruments: the instrument whose tick fired the rule, when it is not the rule's symbol. */
  leg?: string;
  /** Rules across instruments: each instrument's price at the firing, the rule's symbol first. */
  legs?: Array<{ symbol: string; price: string }>;
}

/** The evaluator's interface, shared by the rule index and the naive reference. */
export interface RuleEvaluator {
  /** Add a rule, or replace the rule with that id (its firing state starts afresh). Throws on a spec it cannot evaluate. */
  upsert(rule: RuleSpec): void;
  remove(id: string): boolean;
  /** The firings of these ticks of one instrument, in tick order, then rule id order within a tick. */
  evaluate(symbol: string, ticks: readonly EvalTick[], owns?: (symbol: string) => boolean): Firing[];
  /** Remove the rules whose expiresAtMicros ≤ now; returns their ids in ascending order. */
  expire(nowMicros: number): string[];
  /** The instrument's last known price (e.g. after a restart), so that its first tick can cross. */
  seedPrice(symbol: string, price: string, eventMicros: number): void;
  readonly size: number;
  has(id: string): boolean;
  /** Rules across instruments: whether a rule reads the ticks of `symbol` though it is not its own (cross-evaluator.ts). */
  reads?(symbol: string): boolean;
}
