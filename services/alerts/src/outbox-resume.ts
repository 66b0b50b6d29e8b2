import { type AlertSteps, type DeliveryOwnership } from './alert-steps.js';
import type { AlertRouter } from './alert-router.js';
import type { Retirement } from './outbox-retirement.js';
import type { AlertStore, StoredAlert } from './store/index.js';

export interface OutboxResumeDeps {
  alerts: AlertStore;
  steps: AlertSteps;
  router: AlertRouter;
  ownership: DeliveryOwnership;
  retirement: (alert: StoredAlert) => Promise<Retirement | undefined>;
  retire: (alert: StoredAlert, why: Retirement) => Promise<void>;
  ensureFired: (alert: StoredAlert) => Promise<void>;
}

/**
 * Pick up what a previous run left: alerts whose rule went while it was down are retired;
 * alerts fired but never sent, and held ones whose trader is back, go. Resolves to how
 * many were picked up to go.
 */
export function createOutboxResume({
  alerts,
  steps,
  router,
  ownership,
  retirement,
  retire,
  ensureFired,
}: OutboxResumeDeps) {
  const { withFresh } = steps;
  return async function resume(): Promise<number> {
    let n = 0;
    for await (const alert of alerts.outstanding()) {
      if (!ownership.owns(alert.symbol)) continue;
      const why = await retirement(alert);
      if (why) {
        await withFresh(alert.id, (fresh) => retire(fresh, why));
        continue;
      }
      if (alert.state !== 'pending' && alert.state !== 'held') continue;
      n += 1;
      await withFresh(alert.id, async (fresh) => {
        if (fresh.state === 'pending') return ensureFired(fresh).then(() => router.route(fresh));
        if (fresh.state === 'held') await router.release(fresh);
      });
    }
    return n;
  };
}
