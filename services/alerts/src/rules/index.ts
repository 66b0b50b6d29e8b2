export type { EvalTick, Firing, RuleEvaluator, RuleSpec } from './types.js';
export { createRuleIndex, type RuleIndex } from './rule-index.js';
export { createReferenceEvaluator } from './reference-evaluator.js';
export { checkSpec, DEFAULT_COOLDOWN_SECONDS, MAX_WINDOW_SECONDS } from './spec.js';
export { createCrossEvaluator } from './cross-evaluator.js';
export { describeSeries } from './series-value.js';
