import type { Logger } from 'pino';
import type { EscalationChain, EscalationStep } from '@tickdesk/schemas';
import type { XmppClient } from '@tickdesk/xmpp';
import { NEVER, type AlertSteps, type DeliveryOwnership } from '../alert-steps.js';
import type { AlertRouter } from '../alert-router.js';
import type { AlertsConfig } from '../config.js';
import type { PresenceTracker } from '../presence-tracker.js';
import { traderJid } from '../desk-user.js';
import type { StoredAlert } from '../store/index.js';
import { deskMessage } from './desk-message.js';
import { chainEnded, dueAt, hopDetail, nextStep } from './escalation-progress.js';
import type { EscalationStore } from './escalation-store.js';

export interface EscalationRunnerDeps {
  store: EscalationStore;
  steps: AlertSteps;
  router: AlertRouter;
  presence: PresenceTracker;
  ownership: DeliveryOwnership;
  client: XmppClient;
  config: Pick<AlertsConfig, 'pollMs' | 'retryAfterEscalationMs'>;
  domain: string;
  /** Queues the alert to its addressee's webhook endpoints as step `step`; the endpoint ids (none: skipped). */
  webhooks?: (alert: StoredAlert, step: number) => Promise<string[]>;
  /** Every online trader and every compliance account, for a desk-wide step. */
  deskTargets: () => Promise<string[]>;
  log: Logger;
  now: () => number;
}

/**
 * Walks each alert's escalation chain (docs/alerts-protocol.md "Escalation chains"): every
 * `pollMs`, the alerts whose next step is due take it, unless someone acknowledged the alert.
 * Each hop, or the reason it was skipped, is recorded before it takes effect.
 */
export function createEscalationRunner(deps: EscalationRunnerDeps) {
  const { store, steps, router, presence, ownership, client, config, domain, log, now } = deps;
  let timer: NodeJS.Timeout | undefined;
  let polling = false;

  const skip = (alert: StoredAlert, index: number, step: EscalationStep, why: string) =>
    steps.record(alert, 'escalation-skipped', {}, hopDetail(index, step, `skipped=${why}`));

  type Hop = Promise<StoredAlert | undefined>;

  async function webhook(alert: StoredAlert, index: number, step: EscalationStep): Hop {
    if (!deps.webhooks) return skip(alert, index, step, 'webhooks-not-configured');
    // Queued before the record: a crash between the two queues the same deliveries again, which the store ignores.
    const endpoints = await deps.webhooks(alert, index + 1);
    if (endpoints.length === 0) return skip(alert, index, step, 'no-webhook-endpoints');
    return steps.record(alert, 'escalated', {}, hopDetail(index, step, `endpoints=${endpoints.join(',')}`));
  }

  async function backup(alert: StoredAlert, index: number, step: EscalationStep): Hop {
    const to = alert.backup;
    if (to === undefined) return skip(alert, index, step, 'no-backup');
    if (!router.escalatable(alert)) return skip(alert, index, step, 'backup-disabled');
    // As for the recipient (routing.ts): a backup in dnd is not disturbed by a normal alert.
    if (alert.priority !== 'critical' && presence.get(to).show === 'dnd') return skip(alert, index, step, 'backup-dnd');
    const detail = hopDetail(index, step, `presence=${presence.get(to).show}`);
    return router.send(alert, to, 'escalated', now() + config.retryAfterEscalationMs, detail);
  }

  async function desk(alert: StoredAlert, index: number, step: EscalationStep): Hop {
    const targets = [...new Set(await deps.deskTargets())].sort();
    if (targets.length === 0) return skip(alert, index, step, 'nobody-online');
    const recorded = await steps.record(
      alert,
      'escalated',
      {},
      hopDetail(index, step, `notified=${targets.join(',')}`),
    );
    if (!recorded) return undefined; // fenced out: the instrument's holder takes the step
    await Promise.all(
      targets.map((t) =>
        client
          .send(deskMessage(alert, traderJid(t, domain), step.afterSeconds ?? 0))
          .catch((err: Error) => log.warn({ alert: alert.id, to: t, err }, 'desk-wide alert not sent')),
      ),
    );
    return recorded;
  }

  // Validation keeps `recipient` first (rule-escalation.ts): elsewhere it is a chain stored some other way.
  const recipient = (alert: StoredAlert, index: number, step: EscalationStep) =>
    skip(alert, index, step, 'recipient-is-the-first-send');
  const TAKE = { webhook, backup, desk, recipient } as const;

  /** Schedules the alert's next step after `chain`'s progress, or ends its chain. */
  async function plan(alert: StoredAlert, chain: EscalationChain): Promise<void> {
    const next = chainEnded(alert) ? undefined : nextStep(chain, alert.lifecycle);
    if (!next) return store.finish(alert.id);
    // Held (addressee in dnd) or not routed yet: no step until it is routed (routing.ts decides).
    const parked = alert.state === 'held' || alert.state === 'pending';
    await store.schedule(alert.id, parked ? NEVER : dueAt(alert.firedAt, next.step));
  }

  async function onDue(alert: StoredAlert): Promise<void> {
    const chain = await store.chainOf(alert.id);
    if (!chain) return store.finish(alert.id);
    const next = chainEnded(alert) ? undefined : nextStep(chain, alert.lifecycle);
    if (!next || alert.state === 'held' || alert.state === 'pending' || dueAt(alert.firedAt, next.step) > now())
      return plan(alert, chain);
    const moved = await TAKE[next.step.to](alert, next.index, next.step);
    if (moved) await plan(moved, chain); // else fenced out: the holder of the instrument goes on
  }

  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      for (const id of await store.due(now(), 200)) {
        await steps.withFresh(id, async (alert) => {
          if (ownership.owns(alert.symbol)) await onDue(alert);
        });
      }
    } catch (err) {
      log.warn({ err }, 'escalation poll failed');
    } finally {
      polling = false;
    }
  }

  return {
    /**
     * Called as the alert is routed (alert-router.ts): its chain fixed (the rule's, else its
     * owner's default) and its next step scheduled; false when it has none (today's delivery).
     */
    async begin(alert: StoredAlert, chainFor: () => Promise<EscalationChain | undefined>): Promise<boolean> {
      // Routed for the first time (or again after a restart; a group at its window's end): its
      // chain looked up and fixed, one it was given before kept (fix). A released one reads its own.
      const first = alert.state === 'pending' || alert.state === 'grouping';
      const chain = first
        ? await chainFor().then((c) => (c ? store.fix(alert.id, c) : undefined))
        : await store.chainOf(alert.id);
      if (!chain) return false;
      // Routed now: the step after the first send is due at its time.
      const next = chainEnded(alert) ? undefined : nextStep(chain, alert.lifecycle);
      if (next) await store.schedule(alert.id, dueAt(alert.firedAt, next.step));
      return true;
    },
    poll,
    start(): void {
      timer = setInterval(() => void poll(), config.pollMs);
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}
export type EscalationRunner = ReturnType<typeof createEscalationRunner>;
