import type { Logger } from 'pino';
import type { AlertSteps, DeliveryOwnership } from './alert-steps.js';
import type { AlertRouter } from './alert-router.js';
import type { Retirement } from './outbox-retirement.js';
import type { PresenceTracker } from './presence-tracker.js';
import type { AlertStore, StoredAlert } from './store/index.js';

export interface TraderReturnDeps {
  alerts: AlertStore;
  steps: AlertSteps;
  router: AlertRouter;
  presence: PresenceTracker;
  ownership: DeliveryOwnership;
  log: Logger;
  now: () => number;
  retirement: (alert: StoredAlert) => Promise<Retirement | undefined>;
}

/**
 * A trader reachable again: back from offline (or found available after the engine's own
 * session came back, presence-tracker.ts `resynced`) gets the unconfirmed alerts resent;
 * leaving dnd gets the held alerts released.
 */
export function createTraderReturn({
  alerts,
  steps,
  router,
  presence,
  ownership,
  log,
  now,
  retirement,
}: TraderReturnDeps) {
  const { withFresh } = steps;

  function onPresence(current: { trader: string; show: string }, previous: { show: string }) {
    if (previous.show === 'offline' && current.show !== 'offline' && current.show !== 'dnd')
      resendAll([current.trader]);
    if (previous.show !== 'dnd' || current.show === 'dnd') return;
    void alerts
      .heldFor(current.trader)
      .then((held) =>
        Promise.all(held.filter((a) => ownership.owns(a.symbol)).map((a) => withFresh(a.id, router.release))),
      )
      .catch((err: Error) => log.warn({ err }, 'releasing held alerts failed'));
  }

  /**
   * Alerts sent to `trader` and not confirmed, whose next step is still ahead: sent into a
   * session that is gone (the trader's or ours, after a server restart), so they go again now
   * that the trader is reachable, instead of waiting for the backoff. The schedule stays.
   */
  async function resendTo(trader: string): Promise<void> {
    const waiting = (a: StoredAlert) =>
      ownership.owns(a.symbol) &&
      a.recipient === trader &&
      (a.state === 'sent' || a.state === 'server-acked' || a.state === 'escalated') &&
      a.nextActionAt > now();
    const pendingFor: StoredAlert[] = [];
    for await (const alert of alerts.outstanding()) if (waiting(alert)) pendingFor.push(alert);
    await Promise.all(
      pendingFor.map((a) =>
        withFresh(a.id, async (fresh) => {
          if (!waiting(fresh) || (await retirement(fresh))) return;
          await router.send(fresh, trader, 'resent', fresh.nextActionAt);
        }),
      ),
    );
  }

  const resendAll = (traders: readonly string[]) =>
    void Promise.all(traders.map(resendTo)).catch((err: Error) =>
      log.warn({ err }, 'resending unconfirmed alerts failed'),
    );

  function onResynced(available: string[]) {
    resendAll(available);
  }

  return {
    start(): void {
      presence.on('change', onPresence);
      presence.on('resynced', onResynced);
    },
    stop(): void {
      presence.off('change', onPresence);
      presence.off('resynced', onResynced);
    },
  };
}
