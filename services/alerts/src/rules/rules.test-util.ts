import { createReferenceEvaluator } from './reference-evaluator.js';
import { createRuleIndex } from './rule-index.js';
import type { EvalTick, Firing, RuleEvaluator, RuleSpec } from './types.js';

export const EVALUATORS: Array<[name: string, create: () => RuleEvaluator]> = [
  ['rule index', createRuleIndex],
  ['reference', createReferenceEvaluator],
];

export const S = 1_000_000;

let nextSeq = 1;

/** A rule on BTC unless told otherwise, fired once unless told otherwise. */
export function rule(id: string, condition: RuleSpec['condition'], fields: Partial<RuleSpec> = {}): RuleSpec {
  return { id, symbol: 'BTC', condition, frequency: 'once', ...fields };
}

/** Ticks at the given prices, one second apart from `startMicros` unless times are given. */
export function ticks(prices: string[], startMicros = 10 * S, stepMicros = S): EvalTick[] {
  return prices.map((price, i) => ({ seq: nextSeq++, price, eventMicros: startMicros + i * stepMicros }));
}

export function at(price: string, eventMicros: number): EvalTick {
  return { seq: nextSeq++, price, eventMicros };
}

/** For each tick, the ids of the rules that fired on it. */
export function firedPerTick(ev: RuleEvaluator, symbol: string, batch: EvalTick[]): string[][] {
  const fired = ev.evaluate(symbol, batch);
  return batch.map((t) => fired.filter((f) => f.seq === t.seq).map((f) => f.ruleId));
}

export const ids = (firings: Firing[]): string[] => firings.map((f) => f.ruleId);
