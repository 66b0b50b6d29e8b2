import type { AlertPayload, RuleCondition } from '@tickdesk/schemas';
import { defined } from './defined.js';
import type { StoredAlert } from './store/index.js';

/** The payload fields of a stored alert. */
export function alertContent(a: StoredAlert): AlertPayload {
  return {
    id: a.id,
    rule: a.ruleId,
    symbol: a.symbol,
    condition: a.condition as RuleCondition,
    price: a.price,
    seq: a.tickSeq,
    eventTime: a.eventTime,
    firedAt: a.firedAt,
    priority: a.priority,
    ...defined({
      threshold: a.threshold,
      lower: a.lower,
      upper: a.upper,
      amount: a.amount,
      windowSeconds: a.windowSeconds,
      previousPrice: a.previousPrice,
      reference: a.reference,
      message: a.message,
      series: a.series,
      value: a.value,
      legs: a.legs,
    }),
  };
}
