import type { AlertState, RulePriority } from '@tickdesk/schemas';
import type { AlertsConfig } from './config.js';
import type { TraderPresence } from './presence-tracker.js';

/** What delivery does with an alert given its owner's presence (alert-router.ts carries it out). */
export type RouteAction =
  /** Send to the owner; the next resend or escalation is due at `due`. */
  | { kind: 'send'; due: number }
  /** Send to the owner and tell the backup too, each due again at `due`. */
  | { kind: 'send-and-escalate'; due: number }
  /** Hold until the owner leaves dnd (never due until then). */
  | { kind: 'hold' }
  /** A held alert whose owner left dnd: released, then routed as a new one. */
  | { kind: 'release' }
  /** A held alert whose owner is still dnd. */
  | { kind: 'keep-held' };

export interface RoutedAlert {
  state: AlertState;
  priority: RulePriority;
  /** Whether a backup may be told (set and not a disabled account). */
  escalatable: boolean;
}

type RoutingConfig = Pick<AlertsConfig, 'receiptTimeoutMs' | 'awayReceiptTimeoutMs' | 'retryAfterEscalationMs'>;

/** How long to wait for a receipt from a trader: longer while away or xa. */
export const receiptTimeout = (presence: Pick<TraderPresence, 'show'>, config: RoutingConfig): number =>
  presence.show === 'away' || presence.show === 'xa' ? config.awayReceiptTimeoutMs : config.receiptTimeoutMs;

/**
 * The presence rules of delivery, with no I/O: dnd holds all but critical alerts (a held
 * one goes once dnd ends); offline sends anyway, since the server keeps a chat message for
 * an offline recipient (RFC 6121 §8.5.2.1.1, XEP-0160), and tells the backup at once;
 * away and xa wait longer for the receipt.
 */
export function decide(
  alert: RoutedAlert,
  presence: Pick<TraderPresence, 'show'>,
  config: RoutingConfig,
  now: number,
): RouteAction {
  if (alert.state === 'held') return presence.show === 'dnd' ? { kind: 'keep-held' } : { kind: 'release' };
  if (presence.show === 'dnd' && alert.priority !== 'critical') return { kind: 'hold' };
  if (presence.show === 'offline') {
    const due = now + config.retryAfterEscalationMs;
    return alert.escalatable ? { kind: 'send-and-escalate', due } : { kind: 'send', due };
  }
  return { kind: 'send', due: now + receiptTimeout(presence, config) };
}
