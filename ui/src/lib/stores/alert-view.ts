import type { AlertPayload } from '@tickdesk/schemas';
import type { AlertRecord } from '../api/rest-types.js';

/** One alert as the list shows it. */
export interface AlertView {
  id: string;
  symbol: string;
  condition: string;
  /** "crossing-up 65000", "entering-channel 1.08–1.09", "moving-up 5 in 60 s". */
  conditionText: string;
  price: string;
  firedAt: string;
  priority: 'normal' | 'critical';
  message?: string;
  displayed: boolean;
  acknowledged: boolean;
  /** Where receipts and markers go: the sender's full JID, or the alerts account for history. */
  replyTo: string;
  markable: boolean;
}

type Params = Pick<AlertPayload, 'condition' | 'threshold' | 'lower' | 'upper' | 'amount' | 'windowSeconds'>;

export function conditionText(p: Params): string {
  if (p.threshold !== undefined) return `${p.condition} ${p.threshold}`;
  if (p.lower !== undefined || p.upper !== undefined) return `${p.condition} ${p.lower ?? '?'}–${p.upper ?? '?'}`;
  if (p.amount !== undefined) {
    const amount = p.condition.endsWith('-percent') ? `${p.amount}%` : p.amount;
    return `${p.condition} ${amount}${p.windowSeconds !== undefined ? ` in ${p.windowSeconds} s` : ''}`;
  }
  return p.condition;
}

export function fromPayload(a: AlertPayload, replyTo: string, markable: boolean): AlertView {
  return {
    id: a.id,
    symbol: a.symbol,
    condition: a.condition,
    conditionText: conditionText(a),
    price: a.price,
    firedAt: a.firedAt,
    priority: a.priority,
    ...(a.message ? { message: a.message } : {}),
    displayed: false,
    acknowledged: false,
    replyTo,
    markable,
  };
}

// grouped: a firing listed in its group's message (flap control), never sent alone.
const FINISHED = new Set(['expired', 'failed', 'suppressed', 'retired', 'grouped']);

/** An alert from REST history: what its lifecycle says was already displayed or acknowledged. */
export function fromRecord(r: AlertRecord, alertsJid: string): AlertView {
  const steps = new Set(r.lifecycle.map((s) => s.event));
  const acknowledged = steps.has('acknowledged') || r.state === 'acknowledged';
  return {
    id: r.id,
    symbol: r.symbol,
    condition: r.condition,
    conditionText: conditionText({ ...r, condition: r.condition as AlertPayload['condition'] }),
    price: r.price,
    firedAt: r.firedAt,
    priority: r.priority,
    ...(r.message ? { message: r.message } : {}),
    displayed: acknowledged || steps.has('displayed') || FINISHED.has(r.state),
    acknowledged,
    replyTo: alertsJid,
    markable: !FINISHED.has(r.state),
  };
}
