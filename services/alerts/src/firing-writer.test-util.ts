import type { Rule } from '@tickdesk/schemas';
import { createAlertLimits } from './alert-limits.js';
import { createAlertsMetrics } from './alerts-metrics.js';
import type { FiringWriterDeps } from './firing-writer.js';
import type { RuleStore } from './store/index.js';
import { createSuppressionLedger } from './suppression-ledger.js';

/** A firing writer's deps beside its Redis, outbox and chain: caps far above the tests' firings, `rule` active, the clock at `at`. */
export function writerDeps(rule: Rule, at: string): Omit<FiringWriterDeps, 'redis' | 'alerts' | 'audit'> {
  return {
    rules: {} as RuleStore,
    limits: createAlertLimits({ perRule: 100, perOwner: 100, windowMs: 60_000 }),
    suppressions: createSuppressionLedger({ summaryMs: 60_000 }),
    metrics: createAlertsMetrics(),
    ruleOf: () => rule,
    forget: () => undefined,
    firedKey: 'td:alerts:fired',
    now: () => Date.parse(at),
  };
}
