import type { Logger } from 'pino';
import type { EscalationChain } from '@tickdesk/schemas';
import type { Element, XmppClient } from '@tickdesk/xmpp';
import { createAlertRouter } from './alert-router.js';
import { createAlertSteps, SOLE, type DeliveryOwnership } from './alert-steps.js';
import type { AlertsMetrics } from './alerts-metrics.js';
import type { AlertsConfig } from './config.js';
import { createConfirmations } from './confirmations.js';
import { createFiredRecordRepair } from './fired-record-repair.js';
import { createOutboxPoll } from './outbox-poll.js';
import { createOutboxResume } from './outbox-resume.js';
import { createOutboxRetirement, type Retirement } from './outbox-retirement.js';
import type { PresenceTracker } from './presence-tracker.js';
import type { AlertStore, AuditChain, StoredAlert } from './store/index.js';
import { createTraderReturn } from './trader-return.js';
import { createEscalationRunner, type EscalationRunnerDeps, type EscalationStore } from './escalation/index.js';
import { createSilenceHold, type SilenceStore } from './silences/index.js';

export type { DeliveryOwnership } from './alert-steps.js';
export type { Retirement } from './outbox-retirement.js';
export { alertContent } from './alert-content.js';

export interface DeliveryDeps {
  client: XmppClient;
  alerts: AlertStore;
  audit: AuditChain;
  presence: PresenceTracker;
  config: AlertsConfig;
  domain: string;
  /** Partner desks' domains: receipts and markers from their traders count by bare JID. */
  peers?: ReadonlySet<string>;
  log: Logger;
  metrics: AlertsMetrics;
  /** Asked before an alert is sent again (and at start): a reason retires it instead. */
  retirement?: (alert: StoredAlert) => Promise<Retirement | undefined>;
  /** False for a backup who may no longer be told (a disabled account): the owner keeps getting resends. */
  canEscalateTo?: (user: string) => boolean;
  /**
   * Several engines: sends, resends, escalations and holds only for the instruments this
   * engine holds, each step fenced by the lease token; confirmations from any.
   */
  ownership?: DeliveryOwnership;
  /** True while this engine's firing writer stores the alert and has not yet appended its `fired` record. */
  storing?: (alertId: string) => boolean;
  now?: () => number;
  /** Traders' silences: alerts they cover are held until they end (docs/alerts-protocol.md "Silences"). */
  silences?: SilenceStore;
  /** Escalation chains (docs/alerts-protocol.md "Escalation chains"); absent: no alert walks one. */
  escalation?: {
    store: EscalationStore;
    /** The chain a new alert walks: its rule's, else its owner's default, else none. */
    chainFor: (alert: StoredAlert) => Promise<EscalationChain | undefined>;
  } & Pick<EscalationRunnerDeps, 'webhooks' | 'deskTargets'>;
}

/**
 * Moves each alert through sent → server-acknowledged (XEP-0198) → delivered
 * (XEP-0184) → displayed / acknowledged (XEP-0333), resending with the same id and
 * escalating to the backup trader when no receipt comes in time. Presence decides
 * when and how (routing.ts: dnd holds normal alerts, offline leaves it to offline storage
 * and tells the backup). Every step goes to the audit chain before it takes effect.
 */
export function createDelivery({
  client,
  alerts,
  audit,
  presence,
  config,
  domain,
  peers,
  log: parentLog,
  metrics,
  retirement = () => Promise.resolve(undefined),
  canEscalateTo = () => true,
  ownership = SOLE,
  storing = () => false,
  now = Date.now,
  silences,
  escalation,
}: DeliveryDeps) {
  const log = parentLog.child({ component: 'delivery' });
  const sentStanzas = new WeakMap<Element, string>();
  const steps = createAlertSteps({ alerts, audit, metrics, ownership, log, now });
  const confirmations = createConfirmations({
    client,
    alerts,
    steps,
    metrics,
    ownership,
    domain,
    ...(peers ? { peers } : {}),
    log,
    sentStanzas,
  });
  const { retire, retireWhere } = createOutboxRetirement({ alerts, steps, metrics, ownership });
  const silence = silences
    ? createSilenceHold({ silences, alerts, steps, ownership, log, now, pollMs: config.pollMs, retirement, retire })
    : undefined;
  const router = createAlertRouter({
    client,
    steps,
    presence,
    config,
    domain,
    log,
    canEscalateTo,
    sentStanzas,
    now,
    ...(silence ? { silenced: silence.hold } : {}),
    ...(escalation
      ? {
          chains: {
            begin: (a: StoredAlert) => chains!.begin(a, () => escalation.chainFor(a)),
            has: async (id: string) => (await escalation.store.chainOf(id)) !== undefined,
          },
        }
      : {}),
  });
  const chains = escalation
    ? createEscalationRunner({
        ...escalation,
        steps,
        router,
        presence,
        ownership,
        client,
        config,
        domain,
        log: log.child({ component: 'escalation' }),
        now,
      })
    : undefined;
  const ensureFired = createFiredRecordRepair({ audit, ownership, storing, log });
  const recovery = { retirement, retire, ensureFired };
  const poll = createOutboxPoll({
    alerts,
    steps,
    router,
    presence,
    config,
    ownership,
    log,
    now,
    ...recovery,
    ...(silence ? { silenceDue: silence.due } : {}),
  });
  const returns = createTraderReturn({ alerts, steps, router, presence, ownership, log, now, retirement });
  const resume = createOutboxResume({ alerts, steps, router, ownership, ...recovery });

  return {
    /**
     * Send a freshly fired alert (already in the outbox). `before`: its `fired` record and its
     * webhook deliveries being written, which must land before it is sent or held; its fresh
     * read and silences are looked up meanwhile, in the same round trip as its webhook endpoints.
     */
    dispatch(alert: StoredAlert, before?: Promise<unknown>): Promise<void> {
      const cover = silence?.lookup(alert);
      // Not awaited when the alert is gone: no unhandled rejection then (route awaits them).
      cover?.catch(() => undefined);
      before?.catch(() => undefined);
      return steps.withFresh(alert.id, (a) =>
        a.state === 'pending'
          ? router.route(a, { ...(before ? { before } : {}), ...(cover ? { cover } : {}) })
          : (before ?? Promise.resolve()).then(() => undefined),
      );
    },
    start(): void {
      confirmations.start();
      returns.start();
      poll.start();
      silence?.start(router.route);
      chains?.start();
    },
    retireWhere,
    resume,
    async stop(): Promise<void> {
      poll.stop();
      silence?.stop();
      chains?.stop();
      confirmations.stop();
      returns.stop();
      await steps.idle();
    },
  };
}
export type Delivery = ReturnType<typeof createDelivery>;
