import { NEVER, type AlertSteps, type DeliveryOwnership } from './alert-steps.js';
import type { AlertsMetrics } from './alerts-metrics.js';
import { OUTBOX_STATES, type AlertStore, type StoredAlert } from './store/index.js';

/** Why an outstanding alert must not be sent again; `kind` labels the metric, `detail` goes to the audit chain. */
export interface Retirement {
  kind: 'rule-deleted' | 'rule-paused' | 'trader-disabled' | 'backup-disabled';
  detail: string;
}

export interface OutboxRetirementDeps {
  alerts: AlertStore;
  steps: AlertSteps;
  metrics: AlertsMetrics;
  ownership: DeliveryOwnership;
}

/** Ends outstanding alerts with a reason (retirement.ts finds the reasons): no more resends or escalation. */
export function createOutboxRetirement({ alerts, steps, metrics, ownership }: OutboxRetirementDeps) {
  const { withFresh, record } = steps;

  /** Recorded with the reason. Only an alert still in the outbox is retired. */
  async function retire(alert: StoredAlert, why: Retirement): Promise<void> {
    if (!OUTBOX_STATES.includes(alert.state)) return;
    await record(alert, 'retired', { state: 'retired', nextActionAt: NEVER }, why.detail);
    metrics.retired.inc({ reason: why.kind });
  }

  /**
   * Retire the outstanding alerts `match` gives a reason for (a rule deleted or paused,
   * a trader disabled), each after its earlier steps. One pass over the outbox.
   */
  async function retireWhere(match: (alert: StoredAlert) => Retirement | undefined): Promise<number> {
    let n = 0;
    for await (const alert of alerts.outstanding()) {
      if (!ownership.owns(alert.symbol) || !match(alert)) continue;
      await withFresh(alert.id, async (fresh) => {
        const why = match(fresh);
        if (!why || !OUTBOX_STATES.includes(fresh.state)) return;
        await retire(fresh, why);
        n += 1;
      });
    }
    return n;
  }

  return { retire, retireWhere };
}
