import type { Logger } from 'pino';
import { NEVER, RANK, type AlertSteps, type DeliveryOwnership } from './alert-steps.js';
import type { AlertRouter } from './alert-router.js';
import type { AlertsConfig } from './config.js';
import type { Retirement } from './outbox-retirement.js';
import type { PresenceTracker } from './presence-tracker.js';
import { addresseeOf } from './desk-user.js';
import { receiptTimeout } from './routing.js';
import type { AlertStore, StoredAlert } from './store/index.js';

export interface OutboxPollDeps {
  alerts: AlertStore;
  steps: AlertSteps;
  router: AlertRouter;
  presence: PresenceTracker;
  config: AlertsConfig;
  ownership: DeliveryOwnership;
  log: Logger;
  now: () => number;
  retirement: (alert: StoredAlert) => Promise<Retirement | undefined>;
  retire: (alert: StoredAlert, why: Retirement) => Promise<void>;
  ensureFired: (alert: StoredAlert) => Promise<void>;
  /** A held alert come due: its silence ended (silences/silence-hold.ts). */
  silenceDue?: (alert: StoredAlert) => Promise<void>;
}

/**
 * Every `pollMs`, the alerts whose time has come: resent to the owner until `resends` is
 * used up, then escalated to the backup, then resent with a growing backoff; expired after
 * `alertTtlMs`; retired when a reason came up meanwhile.
 */
export function createOutboxPoll({
  alerts,
  steps,
  router,
  presence,
  config,
  ownership,
  log,
  now,
  retirement,
  retire,
  ensureFired,
  silenceDue = () => Promise.resolve(),
}: OutboxPollDeps) {
  const { withFresh, record } = steps;
  const { send, route, escalatable } = router;
  const timeoutFor = (trader: string) => receiptTimeout(presence.get(trader), config);
  let pollTimer: NodeJS.Timeout | undefined;
  let polling = false;

  /** An alert whose time has come: resend, escalate, or keep retrying. */
  async function onDue(alert: StoredAlert): Promise<void> {
    if (alert.state === 'held') return silenceDue(alert);
    if (RANK[alert.state] >= RANK.delivered) return;
    const why = await retirement(alert);
    if (why) return retire(alert, why);
    // A group's window ended (firing-group.ts): its one message goes as a new alert would.
    if (alert.state === 'pending' || alert.state === 'grouping') return ensureFired(alert).then(() => route(alert));
    const t = now();
    if (t - Date.parse(alert.firedAt) >= config.alertTtlMs) {
      await record(
        alert,
        'expired',
        { state: 'expired', nextActionAt: NEVER },
        `unconfirmed after ${Math.round(config.alertTtlMs / 1000)}s`,
      );
      return;
    }
    const first = addresseeOf(alert);
    const escalated = alert.recipient !== first;
    if (!escalated && alert.attempts <= config.resends) {
      await send(alert, first, 'resent', t + timeoutFor(first));
    } else if (!escalated && escalatable(alert) && !(await router.chained(alert.id))) {
      await send(alert, alert.backup, 'escalated', t + config.retryAfterEscalationMs);
    } else {
      const k = Math.min(4, Math.max(0, alert.attempts - config.resends - 1));
      await send(alert, alert.recipient, 'resent', t + config.retryAfterEscalationMs * 2 ** k);
    }
  }

  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      for (;;) {
        const due = await alerts.due(now(), 200);
        // Several engines: each takes the due alerts of the instruments it holds.
        const mine = due.filter((a) => ownership.owns(a.symbol));
        await Promise.all(
          mine.map((a) =>
            withFresh(a.id, async (fresh) => {
              if (fresh.nextActionAt <= now()) await onDue(fresh);
            }),
          ),
        );
        if (due.length < 200 || mine.length === 0) break;
      }
    } catch (err) {
      log.warn({ err }, 'outbox poll failed');
    } finally {
      polling = false;
    }
  }

  return {
    start(): void {
      pollTimer = setInterval(() => void poll(), config.pollMs);
    },
    stop(): void {
      clearInterval(pollTimer);
    },
  };
}
